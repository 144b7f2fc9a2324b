package dev.graft.server.core.store.sql;

import com.google.gson.reflect.TypeToken;
import dev.graft.server.core.store.CheckpointStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.blob.BlobFolders;
import dev.graft.server.core.store.blob.BlobRef;
import dev.graft.server.core.store.blob.BlobStore;
import dev.graft.server.core.store.blob.ContentAddress;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Running jobs' latest checkpoints in object storage: the files under their content addresses
 * (uploaded first), then one row of {@code job_checkpoints} naming them (an upsert, so a reader
 * sees the previous checkpoint or the new one whole). Restoring downloads each file and checks its
 * SHA-256 and size before renaming it into place. Thread-safe.
 */
public final class SqlCheckpointStore implements CheckpointStore {
  private static final Type FILES = new TypeToken<Map<String, BlobRef>>() {}.getType();

  private final Database db;
  private final BlobStore blobs;
  private final JsonCodec json;

  public SqlCheckpointStore(Database db, BlobStore blobs, JsonCodec json) {
    this.db = Objects.requireNonNull(db, "db");
    this.blobs = Objects.requireNonNull(blobs, "blobs");
    this.json = Objects.requireNonNull(json, "json");
  }

  @Override
  public void save(String jobId, int epoch, Path folder) {
    Map<String, BlobRef> files = BlobFolders.upload(blobs, folder);
    db.transaction("cannot keep the checkpoint of job " + jobId, c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO job_checkpoints (job_id, epoch, files, saved_at)"
          + " VALUES (?, ?, ?::jsonb, now()) ON CONFLICT (job_id) DO UPDATE SET epoch = excluded.epoch,"
          + " files = excluded.files, saved_at = excluded.saved_at")) {
        s.setString(1, jobId);
        s.setInt(2, epoch);
        s.setString(3, json.toJson(files));
        s.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public OptionalInt restore(String jobId, Path target) {
    record Kept(int epoch, Map<String, BlobRef> files) {}
    Kept kept = db.read("cannot read the checkpoint of job " + jobId, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT epoch, files::text FROM job_checkpoints WHERE job_id = ?")) {
        s.setString(1, jobId);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          Map<String, BlobRef> files = json.fromJson(rs.getString(2), FILES);
          return new Kept(rs.getInt(1), files);
        }
      }
    });
    if (kept == null) {
      return OptionalInt.empty();
    }
    try {
      Files.createDirectories(target);
      for (Map.Entry<String, BlobRef> e : kept.files().entrySet()) {
        Path file = target.resolve(e.getKey()).normalize();
        if (!file.startsWith(target) || e.getKey().isEmpty()) {
          throw GraftException.internal("INVALID_BLOB_PATH", "checkpoint of job " + jobId + " names the file '"
              + e.getKey() + "' outside its folder", null);
        }
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".restore-", ".tmp");
        try {
          blobs.get(e.getValue().key(), tmp);
          BlobRef got = ContentAddress.ref(tmp);
          if (!got.equals(e.getValue())) {
            throw new GraftException(ErrorKind.DATA_LOSS, "BLOB_CHECKSUM_MISMATCH", "checkpoint file " + e.getKey()
                + " of job " + jobId + " has SHA-256 " + got.sha256() + " (" + got.size() + " bytes), expected "
                + e.getValue().sha256() + " (" + e.getValue().size() + " bytes)");
          }
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
    } catch (IOException e) {
      throw GraftException.internal("STORE_IO", "cannot restore the checkpoint of job " + jobId + " into " + target
          + ": " + e, e);
    }
    return OptionalInt.of(kept.epoch());
  }

  @Override
  public void delete(String jobId) {
    db.transaction("cannot forget the checkpoint of job " + jobId, c -> {
      try (PreparedStatement s = c.prepareStatement("DELETE FROM job_checkpoints WHERE job_id = ?")) {
        s.setString(1, jobId);
        return s.executeUpdate();
      }
    });
  }
}
