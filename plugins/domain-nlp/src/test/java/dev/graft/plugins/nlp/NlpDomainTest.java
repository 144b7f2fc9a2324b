package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import dev.graft.spi.ModelInput;
import dev.graft.spi.SpiVersion;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NlpDomainTest {

  private final NlpDomain domain = new NlpDomain();

  @TempDir
  Path dir;

  @Test
  void isDiscoveredByServiceLoader() {
    List<DomainPlugin> found = ServiceLoader.load(DomainPlugin.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> p.id().equals("nlp"))
        .toList();
    assertEquals(1, found.size());
    assertEquals(Set.of(InputKind.TEXT), found.get(0).inputKinds());
    assertTrue(found.get(0).spiVersion().isCompatibleWith(SpiVersion.current()));
  }

  @Test
  void validateRefusesNonText() {
    GraftException e = assertThrows(GraftException.class,
        () -> domain.validate(new ModelInput.Image(new byte[] {1}), "inputs[2]"));
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    assertEquals("inputs[2]", e.field());
  }

  @Test
  void builtinMiniLmFilesOpenWithTheExpectedSizes() throws Exception {
    List<BuiltinModel> builtins = domain.builtinModels();
    assertEquals(List.of("minilm-l6", "bge-small-en", "minilm-l6-q"),
        builtins.stream().map(BuiltinModel::name).toList());
    BuiltinModel minilm = builtins.get(0);
    assertEquals("minilm-l6", minilm.name());
    assertEquals("onnx", minilm.format());
    assertEquals("OnnxRuntime", minilm.engine());
    assertEquals(256, minilm.maxTokens());
    assertEquals("mean", minilm.properties().get("pooling"));
    assertEquals("384", minilm.properties().get("hidden_size"));
    assertEquals("6", minilm.properties().get("layers"));
    assertEquals("256", minilm.properties().get("max_tokens"));
    Map<String, Long> expected = Map.of("model.onnx", 90_387_606L, "tokenizer.json", 711_661L);
    assertEquals(expected.keySet(), Set.copyOf(minilm.files().stream().map(BuiltinModel.File::name).toList()));
    for (BuiltinModel.File file : minilm.files()) {
      try (InputStream in = file.opener().open()) {
        assertEquals(expected.get(file.name()), in.transferTo(OutputStream.nullOutputStream()),
            file.name());
      }
    }
  }

  @Test
  void builtinBgeIsDeclaredWithClsPooling() throws Exception {
    BuiltinModel bge = domain.builtinModels().get(1);
    assertEquals("bge-small-en", bge.name());
    assertEquals(512, bge.maxTokens());
    assertEquals("cls", bge.properties().get("pooling"));
    assertEquals("12", bge.properties().get("layers"));
    Map<String, Long> expected = Map.of("model.onnx", 133_093_490L, "tokenizer.json", 711_396L);
    for (BuiltinModel.File file : bge.files()) {
      try (InputStream in = file.opener().open()) {
        assertEquals(expected.get(file.name()), in.transferTo(OutputStream.nullOutputStream()),
            file.name());
      }
    }
  }

  @Test
  void opensTheStoredBuiltinAndRefusesUseAfterClose() throws Exception {
    BaseModel model = BuiltinFixture.materialize(dir.resolve("minilm"));
    Backbone backbone = domain.openBackbone(model, Device.cpu());
    float[][] out = backbone.extract(List.of(new ModelInput.Text("hi")), FeatureRequest.defaults());
    assertEquals(384, out[0].length);
    backbone.close();
    backbone.close();
    GraftException e = assertThrows(GraftException.class,
        () -> backbone.extract(List.of(new ModelInput.Text("hi")), FeatureRequest.defaults()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("BACKBONE_CLOSED", e.reason());
  }

  @Test
  void refusesOtherFormats() {
    BaseModel model = new BaseModel("x@1", dir, "torchscript", Map.of());
    GraftException e = assertThrows(GraftException.class, () -> domain.openBackbone(model, Device.cpu()));
    assertEquals(ErrorKind.UNIMPLEMENTED, e.kind());
    assertEquals("UNSUPPORTED_MODEL_FORMAT", e.reason());
  }

  @Test
  void refusesMissingFilesAndBadProperties() throws Exception {
    GraftException missing = assertThrows(GraftException.class,
        () -> domain.openBackbone(new BaseModel("x@1", dir, "onnx", Map.of()), Device.cpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, missing.kind());
    assertEquals("MODEL_FILE_MISSING", missing.reason());

    Files.writeString(dir.resolve("model.onnx"), "x");
    Files.writeString(dir.resolve("tokenizer.json"), "{}");
    GraftException pooling = assertThrows(GraftException.class,
        () -> domain.openBackbone(new BaseModel("x@1", dir, "onnx", Map.of("pooling", "median")), Device.cpu()));
    assertEquals("INVALID_MODEL_PROPERTY", pooling.reason());
    GraftException tokens = assertThrows(GraftException.class,
        () -> domain.openBackbone(new BaseModel("x@1", dir, "onnx", Map.of("max_tokens", "-3")), Device.cpu()));
    assertEquals("INVALID_MODEL_PROPERTY", tokens.reason());
    GraftException corrupt = assertThrows(GraftException.class,
        () -> domain.openBackbone(new BaseModel("x@1", dir, "onnx", Map.of()), Device.cpu()));
    assertEquals(ErrorKind.INTERNAL, corrupt.kind());
    assertEquals("MODEL_LOAD_FAILED", corrupt.reason());
  }

  @Test
  void refusesAGpuTheEngineCannotUse() throws Exception {
    assumeTrue(
        Engine.getEngine("OnnxRuntime").getGpuCount() == 0, "CUDA-enabled ORT present");
    BaseModel model = BuiltinFixture.materialize(dir.resolve("minilm"));
    GraftException e = assertThrows(GraftException.class, () -> domain.openBackbone(model, Device.gpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("DEVICE_UNSUPPORTED", e.reason());
  }

  @Test
  void refusesADeclaredHiddenSizeTheGraphDoesNotHave() throws Exception {
    BaseModel model = BuiltinFixture.materialize(dir.resolve("minilm"), Map.of("hidden_size", "768"));
    GraftException e = assertThrows(GraftException.class, () -> domain.openBackbone(model, Device.cpu()));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("MODEL_PROPERTY_MISMATCH", e.reason());
  }
}
