package dev.graft.plugins.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.InputKind;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every {@link DomainPlugin} must honour. A domain's test extends this class and supplies a
 * small base model and a few inputs; the tests check that the plugin is a service with a stable
 * id, refuses inputs naming the field at fault, extracts the same features from several threads
 * at once, closes cleanly and — when its base model is trainable — that a
 * {@link dev.graft.spi.TrainableBackbone} round-trips its weights (see
 * {@link TrainableBackboneChecks}).
 *
 * <p>One instance serves all tests of a class: the backbone is opened once, in {@link #open()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractDomainPluginTest {
  private Path root;
  private Backbone backbone;
  private float[][] reference;

  /** The plugin under test. */
  protected abstract DomainPlugin plugin();

  /** A small base model of this domain, its files written into {@code dir}. */
  protected abstract BaseModel baseModel(Path dir) throws Exception;

  /** At least two inputs, of different content, that the base model's backbone reads. */
  protected abstract List<ModelInput> inputs();

  /**
   * An input of a kind the domain accepts that its backbone cannot read (corrupt image bytes, a
   * series too short); empty (the default) when every input of its kinds is readable.
   */
  protected Optional<ModelInput> unreadableInput() {
    return Optional.empty();
  }

  /** Whether the base model opens a trainable backbone; the default says it does. */
  protected boolean trainable() {
    return true;
  }

  /** Options for {@link Backbone#openTrainable} that keep the tests fast ("max_tokens"). */
  protected Map<String, String> trainableOptions() {
    return Map.of();
  }

  /** The largest difference allowed between two computations of the same features. */
  protected float tolerance() {
    return 1e-4f;
  }

  /** Threads that call the backbone at once. */
  protected int threads() {
    return 4;
  }

  /** Opens the base model's backbone once for all tests, and extracts the reference features. */
  @BeforeAll
  void open() throws Exception {
    root = Files.createTempDirectory("graft-conformance-");
    backbone = plugin().openBackbone(baseModel(root.resolve("base")), Device.cpu());
    reference = backbone.extract(inputs(), FeatureRequest.defaults());
  }

  @AfterAll
  void closeBackbone() throws IOException {
    if (backbone != null) {
      backbone.close();
    }
    TempFolders.delete(root);
  }

  @Test
  void isAServiceWithAStableId() {
    Checks.isAService(DomainPlugin.class, plugin());
    assertFalse(plugin().inputKinds().isEmpty(), "inputKinds()");
  }

  @Test
  void builtinModelsAreNamedAndReadable() throws IOException {
    Set<String> names = new HashSet<>();
    for (BuiltinModel model : plugin().builtinModels()) {
      assertTrue(names.add(model.name()), "built-in names are unique: " + model.name());
      assertFalse(model.files().isEmpty(), model.name() + " has files");
      for (BuiltinModel.File file : model.files()) {
        try (InputStream in = file.opener().open()) {
          assertTrue(in.read() >= 0, model.name() + "/" + file.name() + " is not empty");
        }
      }
    }
  }

  @Test
  void acceptsItsInputs() {
    List<ModelInput> inputs = inputs();
    assertTrue(inputs.size() >= 2, "the fixture gives at least two inputs");
    for (int i = 0; i < inputs.size(); i++) {
      plugin().validate(inputs.get(i), "inputs[" + i + "]");
    }
  }

  @Test
  void refusesOtherInputKindsNamingTheField() {
    Set<InputKind> others = EnumSet.complementOf(EnumSet.copyOf(plugin().inputKinds()));
    assumeTrue(!others.isEmpty(), "the domain accepts every kind");
    for (InputKind kind : others) {
      Checks.invalidArgument("inputs[3]", () -> plugin().validate(sample(kind), "inputs[3]"));
    }
  }

  @Test
  void extractsOneVectorPerInput() {
    assertEquals(inputs().size(), reference.length, "one row per input");
    for (float[] row : reference) {
      assertEquals(backbone.dimension(), row.length, "rows are dimension() wide");
    }
    assertFalse(backbone.layers().isEmpty(), "layers()");
    assertTrue(backbone.layers().contains(backbone.defaultLayer()), "defaultLayer() is a layer");
    assertTrue(Checks.maxDifference(reference, backbone.extract(inputs(),
        new FeatureRequest(backbone.defaultLayer(), backbone.defaultPooling(), false))) <= tolerance(),
        "the default request is the default layer and pooling");
  }

  @Test
  void extractIsThreadSafe() throws Exception {
    List<float[][]> results = Concurrently.run(threads(), 3,
        () -> backbone.extract(inputs(), FeatureRequest.defaults()));
    for (float[][] result : results) {
      float worst = Checks.maxDifference(reference, result);
      assertTrue(worst <= tolerance(), "concurrent extracts agree (max difference " + worst + ")");
    }
  }

  @Test
  void extractNamesAnUnreadableInput() {
    Optional<ModelInput> bad = unreadableInput();
    assumeTrue(bad.isPresent(), "every input of this domain's kinds is readable");
    List<ModelInput> batch = new ArrayList<>(inputs().subList(0, 1));
    batch.add(bad.get());
    Checks.invalidArgument("inputs[1]", () -> backbone.extract(batch, FeatureRequest.defaults()));
  }

  @Test
  void extractNamesAnUnknownLayer() {
    Checks.invalidArgument("layer", () -> backbone.extract(inputs(),
        new FeatureRequest("no-such-layer", Pooling.DEFAULT, false)));
  }

  @Test
  void closingABackboneTwiceIsHarmless() throws Exception {
    Backbone another = plugin().openBackbone(baseModel(root.resolve("another")), Device.cpu());
    assertTrue(Checks.maxDifference(reference, another.extract(inputs(), FeatureRequest.defaults()))
        <= tolerance(), "a second backbone of the same model extracts the same features");
    another.close();
    another.close();
    assertTrue(Checks.maxDifference(reference, backbone.extract(inputs(), FeatureRequest.defaults()))
        <= tolerance(), "closing one backbone leaves the others working");
  }

  @Test
  void trainableBackboneGroupsEveryParameterOnce() {
    assumeTrue(trainable(), "the base model is inference-only");
    TrainableBackboneChecks.groupsCoverEveryParameterOnce(backbone, trainableOptions());
  }

  @Test
  void trainableBackboneRefusesAnUnknownOptionNamingIt() {
    assumeTrue(trainable(), "the base model is inference-only");
    Map<String, String> options = new java.util.HashMap<>(trainableOptions());
    options.put("no_such_option", "1");
    Checks.invalidArgument("hyperparameters.extra[no_such_option]",
        () -> backbone.openTrainable(Device.cpu(), options).close());
  }

  @Test
  void trainableBackboneWeightsRoundTrip() throws Exception {
    assumeTrue(trainable(), "the base model is inference-only");
    new TrainableBackboneChecks(backbone, trainableOptions(), inputs(), tolerance(), threads())
        .weightsRoundTrip();
  }

  @Test
  void closingATrainableBackboneFreesItsParametersOnly() {
    assumeTrue(trainable(), "the base model is inference-only");
    TrainableBackboneChecks.closeFreesParametersOnly(backbone, trainableOptions());
    assertTrue(Checks.maxDifference(reference, backbone.extract(inputs(), FeatureRequest.defaults()))
        <= tolerance(), "the backbone still extracts after its trainable copy closed");
  }

  private static ModelInput sample(InputKind kind) {
    return switch (kind) {
      case TEXT -> new ModelInput.Text("a sentence");
      case IMAGE -> new ModelInput.Image(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
      case SERIES -> new ModelInput.Series(new float[] {1, 2, 3, 4}, 1);
      case TENSOR -> new ModelInput.Tensor("float32", new long[] {1}, new byte[4]);
    };
  }
}
