package dev.graft.spi;

/** What a trained model predicts. */
public enum Task {
  CLASSIFICATION,
  REGRESSION,
  FORECASTING
}
