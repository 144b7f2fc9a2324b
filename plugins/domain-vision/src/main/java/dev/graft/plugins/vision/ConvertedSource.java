package dev.graft.plugins.vision;

import ai.djl.ndarray.NDManager;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.plugins.vision.image.InputSpec;
import java.util.List;

/**
 * A converted network held in memory (its description and weights), from which backbones build
 * blocks: one frozen block per feature layer for Extract, one private trainable copy per job.
 * Implementations are immutable and thread-safe.
 */
interface ConvertedSource {

  /** The base model's name, for messages. */
  String name();

  /** The input the network expects (size, channels, normalisation). */
  InputSpec spec();

  /** The feature layers, the default first. */
  List<String> layers();

  /** The width of the default layer's pooled features. */
  int dimension();

  /** The format tag of the parameter files of this kind of network (kept stable across versions). */
  String parameterFormat();

  /**
   * A new block up to {@code layer}, its arrays initialised in {@code manager}: with the
   * pretrained weights when {@code seed} is negative, else freshly from {@code seed}.
   */
  ConvertedBlock newBlock(NDManager manager, String layer, boolean poolMax,
      boolean trainBatchNorm, long seed);
}
