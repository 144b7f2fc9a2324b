package dev.graft.server.core.store;

import java.util.regex.Pattern;

/** The syntax of the names every store backend accepts. */
final class StoreNames {
  /** A model name. */
  static final Pattern MODEL = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  /** A model version number. */
  static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,8}");
  /** An alias of a model version. */
  static final Pattern ALIAS = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  /** A job id. */
  static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** A dataset id. */
  static final Pattern DATASET_ID = Pattern.compile("ds-[0-9a-f]{12}");

  private StoreNames() {}
}
