package dev.graft.server.core.estimate;

import java.util.OptionalDouble;

/**
 * How well one base model's frozen features fit the data.
 *
 * @param baseModel the base model's reference (name@version)
 * @param logme the mean per-target LogME evidence per example; higher is better
 * @param probeScore validation accuracy (classification) or R&sup2; (regression) of a linear probe
 *     on the held-out fifth; empty when the held-out part is too small to score
 * @param dimension the feature dimension
 * @param seconds wall time spent on this base: features (cached or computed) and scoring
 * @param cached whether both splits' features came from the feature cache
 */
public record TransferEstimate(
    String baseModel, double logme, OptionalDouble probeScore, int dimension, double seconds, boolean cached) {}
