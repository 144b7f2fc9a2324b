package dev.graft.server.core.store.sql;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the {@link dev.graft.server.core.store.blob.BlobGarbageCollector} must keep: the SHA-256 of
 * every blob a live model version, a dataset or a running job's latest checkpoint ({@code
 * job_checkpoints}) names in its {@code files} column (a deleted version's column is emptied, so its
 * blobs drop out unless another row shares them). Read in one statement, so the set is one
 * consistent snapshot. A table that names blobs must be added here, or the collector deletes them.
 *
 * <p>Thread-safe: no state but the database. Fails UNAVAILABLE {@code STORE_UNAVAILABLE} when the
 * database is down (the collector then removes nothing).
 */
public final class SqlBlobReferences implements Supplier<Set<String>> {
  private final Database db;

  public SqlBlobReferences(Database db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  @Override
  public Set<String> get() {
    return db.read("cannot list the blobs the store references", c -> {
      Set<String> out = new HashSet<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT f.value->>'sha256' FROM model_versions m, jsonb_each(m.files) f WHERE m.deleted_at IS NULL"
              + " UNION SELECT f.value->>'sha256' FROM datasets d, jsonb_each(d.files) f"
              + " UNION SELECT f.value->>'sha256' FROM job_checkpoints j, jsonb_each(j.files) f")) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }
}
