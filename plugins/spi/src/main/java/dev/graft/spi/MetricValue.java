package dev.graft.spi;

/**
 * A measurement: {@code name} is one of loss, accuracy, macro_f1, mae, rmse, mase (or the
 * plugin's own); {@code split} is train, validation or test; {@code epoch} is 1-based (0 = final).
 */
public record MetricValue(String name, double value, String split, int epoch) {}
