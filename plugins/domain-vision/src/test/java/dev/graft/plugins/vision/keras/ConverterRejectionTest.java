package dev.graft.plugins.vision.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TF.js reader and converter: quantised weights, and clear refusals. */
class ConverterRejectionTest {
  @TempDir Path dir;

  private void write(String secondLayer, String weights, byte[] shard) throws Exception {
    String json = """
        {"modelTopology":{"model_config":{"class_name":"Model","config":{
          "layers":[
            {"name":"in","class_name":"InputLayer","config":{"batch_input_shape":[null,4,4,1]},"inbound_nodes":[]},
            %s],
          "input_layers":[["in",0,0]],"output_layers":[["out",0,0]]}}},
         "weightsManifest":[{"paths":["shard"],"weights":[%s]}]}
        """.formatted(secondLayer, weights);
    Files.writeString(dir.resolve("model.json"), json);
    Files.write(dir.resolve("shard"), shard);
  }

  @Test
  void unsupportedLayerIsNamed() throws Exception {
    write("{\"name\":\"out\",\"class_name\":\"LSTM\",\"config\":{},\"inbound_nodes\":[[[\"in\",0,0,{}]]]}",
        "", new byte[0]);
    TfjsLayersModel model = TfjsLayersModel.read(dir);
    UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
        () -> new KerasGraphBlock(model, "out", false, false));
    assertTrue(e.getMessage().contains("'out' (LSTM)"), e.getMessage());
    assertTrue(e.getMessage().contains("DepthwiseConv2D"), e.getMessage());
  }

  @Test
  void unknownOutputLayerIsRefused() throws Exception {
    write("{\"name\":\"out\",\"class_name\":\"ReLU\",\"config\":{},\"inbound_nodes\":[[[\"in\",0,0,{}]]]}",
        "", new byte[0]);
    TfjsLayersModel model = TfjsLayersModel.read(dir);
    assertThrows(UnsupportedModelException.class,
        () -> new KerasGraphBlock(model, "nope", false, false));
  }

  @Test
  void uint8WeightsAreDequantisedAndFloatWeightsReadLittleEndian() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(2 + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0).put((byte) 200).putFloat(1.5f);
    write("{\"name\":\"out\",\"class_name\":\"ReLU\",\"config\":{},\"inbound_nodes\":[[[\"in\",0,0,{}]]]}",
        "{\"name\":\"q/kernel\",\"shape\":[2],\"dtype\":\"float32\","
            + "\"quantization\":{\"min\":-1.0,\"scale\":0.01,\"dtype\":\"uint8\"}},"
            + "{\"name\":\"f/bias\",\"shape\":[1],\"dtype\":\"float32\"}",
        b.array());
    TfjsLayersModel model = TfjsLayersModel.read(dir);
    assertEquals(-1.0f, model.weight("q/kernel")[0], 1e-6);
    assertEquals(1.0f, model.weight("q/kernel")[1], 1e-6);
    assertEquals(1.5f, model.weight("f/bias")[0]);
  }

  @Test
  void shortShardIsRefused() throws Exception {
    write("{\"name\":\"out\",\"class_name\":\"ReLU\",\"config\":{},\"inbound_nodes\":[[[\"in\",0,0,{}]]]}",
        "{\"name\":\"f/bias\",\"shape\":[4],\"dtype\":\"float32\"}", new byte[3]);
    UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
        () -> TfjsLayersModel.read(dir));
    assertTrue(e.getMessage().contains("f/bias"), e.getMessage());
  }
}
