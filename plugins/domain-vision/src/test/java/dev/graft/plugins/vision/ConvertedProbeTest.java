package dev.graft.plugins.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.spi.Backbone;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.ParameterGroup;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The probe pass of converted networks (tfjs-layers, torch-state-dict) at open: a network whose
 * features on the fixed probe image are NaN or infinite is refused NON_FINITE_OUTPUT, one whose
 * features are finite opens. The network here is a stand-in whose "weights" are one factor.
 */
class ConvertedProbeTest {
  /** Features = the mean of each channel × {@code factor}. */
  private record Scaled(float factor) implements ConvertedSource {
    @Override
    public String name() {
      return "scaled@1";
    }

    @Override
    public InputSpec spec() {
      return new InputSpec(16, 3, 1, 1f / 255, new float[3], new float[] {1, 1, 1});
    }

    @Override
    public List<String> layers() {
      return List.of("out");
    }

    @Override
    public int dimension() {
      return 3;
    }

    @Override
    public String parameterFormat() {
      return "test/1";
    }

    @Override
    public ConvertedBlock newBlock(NDManager manager, String layer, boolean poolMax,
        boolean trainBatchNorm, long seed) {
      return new ScaledBlock(factor);
    }
  }

  private static final class ScaledBlock extends AbstractBlock implements ConvertedBlock {
    private final float factor;

    ScaledBlock(float factor) {
      this.factor = factor;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
        PairList<String, Object> params) {
      NDArray x = inputs.singletonOrThrow();
      return new NDList(x.mean(new int[] {3}).mean(new int[] {2}).mul(factor));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return new Shape[] {new Shape(inputShapes[0].get(0), 3)};
    }

    @Override
    public int dimension() {
      return 3;
    }

    @Override
    public List<ParameterGroup> groups() {
      return List.of();
    }

    @Override
    public Map<String, NDArray> buffers() {
      return Map.of();
    }
  }

  @ParameterizedTest
  @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
  void nonFiniteFeaturesAreRefusedAtOpen(float factor) {
    GraftException e = assertThrows(GraftException.class,
        () -> ConvertedBackbone.open(new Scaled(factor), Device.cpu()).close());
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals(OutputProbe.NON_FINITE_OUTPUT, e.reason(), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(floats = {0f, 1f, -3e30f})
  void finiteFeaturesOpen(float factor) {
    try (Backbone b = ConvertedBackbone.open(new Scaled(factor), Device.cpu())) {
      assertEquals(3, b.dimension());
    }
  }
}
