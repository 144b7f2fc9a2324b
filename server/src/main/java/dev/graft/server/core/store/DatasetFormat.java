package dev.graft.server.core.store;

/** How an uploaded dataset is encoded; each format needs a {@link DatasetParser}. */
public enum DatasetFormat {
  /** One JSON object per line. */
  JSONL,
  /** RFC 4180 CSV with a header row. */
  CSV,
  /** MNIST-style IDX pair, sent as parts "images" and "labels". */
  IDX,
  /** Length-delimited {@code graft.v1.Example} messages (parsed at the API layer). */
  EXAMPLES,
  /** A ZIP archive (e.g. one folder of images per label). */
  ZIP
}
