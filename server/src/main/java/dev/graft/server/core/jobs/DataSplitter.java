package dev.graft.server.core.jobs;

import dev.graft.spi.Example;
import dev.graft.spi.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Splits examples into train and validation sets, deterministically for a seed. Classification
 * data is split per label (stratified), so that every class is in both sets when it can be.
 * A job without its own validation data is split with {@link #DEFAULT_FRACTION} and
 * {@link #DEFAULT_SEED} unless it says otherwise; EstimateTransfer splits the same way, so that
 * both find each other's features in the {@link FeatureCache}.
 */
public final class DataSplitter {
  /** The validation fraction of a job that names none. */
  public static final float DEFAULT_FRACTION = 0.2f;
  /** The seed of a job that names none. */
  public static final long DEFAULT_SEED = 42;

  private DataSplitter() {}

  public record Split(List<Example> train, List<Example> validation) {}

  /** How a split is named in feature cache keys. */
  public static String key(float fraction, long seed) {
    return "split=" + fraction + ",seed=" + seed;
  }

  public static Split split(List<Example> examples, double fraction, long seed) {
    Map<String, List<Example>> groups = new LinkedHashMap<>();
    for (Example e : examples) {
      String key = e.target() instanceof Target.Label l ? l.label() : "";
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
    }
    Random random = new Random(seed);
    List<Example> train = new ArrayList<>();
    List<Example> validation = new ArrayList<>();
    for (List<Example> group : groups.values()) {
      List<Example> shuffled = new ArrayList<>(group);
      java.util.Collections.shuffle(shuffled, random);
      int held = (int) Math.round(shuffled.size() * fraction);
      if (held == shuffled.size() && held > 0) {
        held--; // keep at least one example of each class for training
      }
      validation.addAll(shuffled.subList(0, held));
      train.addAll(shuffled.subList(held, shuffled.size()));
    }
    java.util.Collections.shuffle(train, random);
    return new Split(train, validation);
  }
}
