package dev.graft.plugins.vision.block;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import dev.graft.spi.ParameterGroup;
import java.util.List;
import java.util.Map;

/**
 * A network converted from another framework's saved weights into a DJL block: a batch of
 * preprocessed images [N, C, H, W] in, the pooled features of one layer [N, dimension()] out.
 * Its parameters are grouped bottom → top; its non-trainable state (batch-norm running
 * statistics) is exposed so that it can be saved with the parameters.
 *
 * <p>Thread-safety as DJL blocks: inference-mode forward passes may run concurrently; training
 * is single-threaded. The manager that initialised it owns its arrays.
 */
public interface ConvertedBlock extends Block {

  /** The width of the pooled features. */
  int dimension();

  /** The parameter groups, nearest the input first, covering every parameter once. */
  List<ParameterGroup> groups();

  /** The non-trainable arrays (e.g. batch-norm running statistics) by a stable name. */
  Map<String, NDArray> buffers();
}
