package dev.graft.spi;

import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Objects;

/**
 * A named set of a {@link TrainableBackbone}'s parameters that a strategy freezes, unfreezes or
 * gives its own learning rate as a unit ("embeddings", "encoder.3", "pooler"). Immutable; the
 * parameters themselves belong to the backbone. Since SPI 1.1.
 *
 * @param name the group's name, unique within its backbone
 * @param parameters the DJL parameters of the group (at least one)
 */
public record ParameterGroup(String name, List<Parameter> parameters) {
  public ParameterGroup {
    Objects.requireNonNull(name, "name");
    parameters = List.copyOf(parameters);
  }

  /** Freezes ({@code true}) or unfreezes every parameter of the group. */
  public void freeze(boolean frozen) {
    for (Parameter p : parameters) {
      p.freeze(frozen);
    }
  }

  /** The number of scalar weights in the group (its parameters must have shapes). */
  public long size() {
    long n = 0;
    for (Parameter p : parameters) {
      n += p.getShape() == null ? 0 : p.getShape().size();
    }
    return n;
  }
}
