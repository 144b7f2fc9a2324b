package dev.graft.spi;

import java.util.Objects;

/** A labelled input. Immutable. */
public record Example(ModelInput input, Target target) {
  public Example {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(target, "target");
  }
}
