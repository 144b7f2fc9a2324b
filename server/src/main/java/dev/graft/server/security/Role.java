package dev.graft.server.security;

import java.util.Locale;

/** What a principal may do; each role includes the ones before it. */
public enum Role {
  /** Extract, Predict, and reading models, datasets, jobs and server info. */
  READER,
  /** A reader that also uploads datasets, trains, cancels and deletes what it created. */
  TRAINER,
  /** Everything: importing and exporting models, deleting anything. */
  ADMIN;

  /** Whether this role may do what {@code needed} may. */
  public boolean includes(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** The role's name as written in the tokens file and in messages: "reader". */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses "reader", "trainer" or "admin". */
  public static Role parse(String s) {
    for (Role r : values()) {
      if (r.label().equals(s)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + s + "': use reader, trainer or admin");
  }
}
