package dev.graft.plugins.trainingkit;

import java.util.Locale;

/**
 * Which of a backbone's parameter groups train, and how fast: the top {@code unfrozen} groups
 * (all of them for {@link #all()}), with the learning rate of the group {@code d} places below
 * the head scaled by {@code layerDecay^d} (layer-wise learning-rate decay), optionally unfrozen
 * gradually: in epoch {@code e} only the top {@code e - 1} of them train (the head alone in the
 * first epoch), until all {@code unfrozen} do. The task head always trains. Immutable.
 *
 * @param unfrozen how many groups, counted from the top, may train ({@link #ALL}: all;
 *     {@link #HALF}: the top half, rounded up)
 * @param layerDecay the learning-rate factor per group below the head (1: none)
 * @param gradual whether groups are unfrozen one epoch after another
 */
public record GroupPlan(int unfrozen, float layerDecay, boolean gradual) {
  /** {@code unfrozen} for every group. */
  public static final int ALL = Integer.MAX_VALUE;
  /** {@code unfrozen} for the top half of the groups, rounded up. */
  public static final int HALF = -1;

  public GroupPlan {
    if (unfrozen < HALF || !(layerDecay > 0) || layerDecay > 1) {
      throw new IllegalArgumentException("unfrozen " + unfrozen + ", layer decay " + layerDecay);
    }
  }

  /** Every group trains at the same rate from the first epoch (knowledge transfer). */
  public static GroupPlan all() {
    return new GroupPlan(ALL, 1f, false);
  }

  /** How many of {@code groups} groups may train at most. */
  public int unfrozen(int groups) {
    return unfrozen == HALF ? (groups + 1) / 2 : Math.min(unfrozen, groups);
  }

  /** How many of {@code groups} groups, from the top, train in {@code epoch} (1-based). */
  public int trainable(int groups, int epoch) {
    int most = unfrozen(groups);
    return gradual ? Math.min(most, Math.max(0, epoch - 1)) : most;
  }

  /** Whether group {@code index} (0 = bottom) of {@code groups} trains in {@code epoch}. */
  public boolean trains(int index, int groups, int epoch) {
    return index >= groups - trainable(groups, epoch);
  }

  /** The learning-rate scale of group {@code index} (0 = bottom) of {@code groups}. */
  public float scale(int index, int groups) {
    return (float) Math.pow(layerDecay, groups - index);
  }

  /** "top 3 of 7 groups, layer decay 0.9, gradual". */
  public String describe(int groups) {
    int most = unfrozen(groups);
    String which = most == groups ? "all " + groups + " groups" : "top " + most + " of " + groups
        + " groups";
    return which + (layerDecay < 1 ? String.format(Locale.ROOT, ", layer decay %.3g", layerDecay)
        : "") + (gradual ? ", unfrozen gradually" : "");
  }
}
