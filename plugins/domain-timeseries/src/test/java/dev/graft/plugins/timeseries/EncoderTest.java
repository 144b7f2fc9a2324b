package dev.graft.plugins.timeseries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.graft.plugins.timeseries.encoder.EncoderConfig;
import dev.graft.plugins.timeseries.encoder.SeriesEncoder;
import dev.graft.plugins.timeseries.pretrain.PretrainMain;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.TrainableBackbone;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncoderTest {
  @TempDir Path dir;

  private static byte[] bytes(SeriesEncoder e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    e.saveParameters(out);
    return out.toByteArray();
  }

  @Test
  void pretrainingIsReproducibleFromTheSeedAndChangesWeights() throws IOException {
    PretrainMain.Settings s = new PretrainMain.Settings(7, 3, 8, 20, 1e-3f);
    byte[] a;
    byte[] b;
    try (SeriesEncoder e = PretrainMain.pretrain(s, List.of(), Device.cpu(), false)) {
      a = bytes(e);
      assertTrue(e.parameterCount() > 100_000 && e.parameterCount() < 500_000, "" + e.parameterCount());
    }
    try (SeriesEncoder e = PretrainMain.pretrain(s, List.of(), Device.cpu(), false)) {
      b = bytes(e);
    }
    assertArrayEquals(a, b);
    try (SeriesEncoder e = PretrainMain.pretrain(
        new PretrainMain.Settings(7, 0, 8, 20, 1e-3f), List.of(), Device.cpu(), false)) {
      assertNotEquals(List.of(a.length, java.util.Arrays.hashCode(a)),
          List.of(bytes(e).length, java.util.Arrays.hashCode(bytes(e))));
    }
  }

  @Test
  void builtinEncoderOpensExtractsAndIsScaleInvariant() throws IOException {
    TimeSeriesDomain domain = new TimeSeriesDomain();
    var builtin = domain.builtinModels().get(0);
    assertEquals("ts-encoder", builtin.name());
    try (InputStream in = builtin.files().get(0).opener().open()) {
      Files.copy(in, dir.resolve(TimeSeriesDomain.WEIGHTS_FILE));
    }
    BaseModel model = new BaseModel("ts-encoder@1", dir, TimeSeriesDomain.FORMAT, builtin.properties());
    float[] x = new float[100];
    float[] y = new float[100];
    for (int i = 0; i < 100; i++) {
      x[i] = (float) Math.sin(i / 3.0);
      y[i] = 1000 + 50 * x[i];
    }
    try (Backbone b = domain.openBackbone(model, Device.cpu())) {
      float[][] f = b.extract(List.of(new ModelInput.Series(x, 1), new ModelInput.Series(y, 1),
          new ModelInput.Series(new float[] {1, 2, 3}, 1)), FeatureRequest.defaults());
      assertEquals(EncoderConfig.TS_ENCODER.dimension(), f[0].length);
      assertArrayEquals(f[0], f[1], 1e-3f);
      GraftException bad = assertThrows(GraftException.class,
          () -> b.extract(List.of(new ModelInput.Text("x")), FeatureRequest.defaults()));
      assertEquals("inputs[0]", bad.field());
      try (TrainableBackbone t = b.openTrainable(Device.cpu(), Map.of())) {
        assertEquals(6, t.groups().size());
        assertEquals(f[0].length, t.dimension());
      }
      GraftException option = assertThrows(GraftException.class,
          () -> b.openTrainable(Device.cpu(), Map.of("unfreeze", "2")));
      assertEquals("hyperparameters.extra[unfreeze]", option.field());
    }
  }
}
