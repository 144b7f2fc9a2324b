package dev.graft.server.core.jobs;

import dev.graft.server.core.store.AtomicFiles;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.spi.FeatureRequest;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * Features computed for training data, cached by key in memory (a few recent entries) and on disk
 * under the store's cache folder, so that a second job on the same base model and dataset does not
 * run the backbone again. Files are written atomically; a missing or unreadable file is recomputed.
 * Thread-safe.
 */
@Singleton
public final class FeatureCache {
  private static final int MEMORY_ENTRIES = 8;
  private static final System.Logger LOG = System.getLogger(FeatureCache.class.getName());

  private final Path dir;
  /** This store instance: temporary files name it, so a sweep can tell whose they are. */
  private final String owner;
  private final Map<String, float[][]> memory =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[][]> eldest) {
          return size() > MEMORY_ENTRIES;
        }
      };

  @Inject
  public FeatureCache(StoreLayout layout) {
    this.dir = layout.cache().resolve("features");
    this.owner = layout.instanceId();
  }

  /**
   * The key of one split's features: the base model reference, the data and its split
   * ({@code <dataset sha256>|split=0.2,seed=42} for a job's default split), the split's name
   * ("train", "validation") and the feature request. Jobs and EstimateTransfer key alike.
   */
  public static String key(String baseRef, String dataKey, String split, FeatureRequest request) {
    return String.join("|", baseRef, dataKey, split, request.layer(), request.pooling().name(),
        Boolean.toString(request.normalize()));
  }

  /** The features for {@code key}, computing and storing them on a miss. */
  public float[][] get(String key, Supplier<float[][]> compute) {
    String id = digest(key);
    synchronized (memory) {
      float[][] hit = memory.get(id);
      if (hit != null) {
        return hit;
      }
    }
    float[][] features = read(dir.resolve(id + ".f32"));
    if (features == null) {
      features = compute.get();
      write(dir.resolve(id + ".f32"), features);
    }
    synchronized (memory) {
      memory.put(id, features);
    }
    return features;
  }

  private static float[][] read(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try (InputStream in = Files.newInputStream(file);
        DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in))) {
      int rows = data.readInt();
      int cols = data.readInt();
      float[][] out = new float[rows][cols];
      for (float[] row : out) {
        for (int j = 0; j < cols; j++) {
          row[j] = data.readFloat();
        }
      }
      return out;
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "ignoring unreadable feature cache " + file + ": " + e);
      return null;
    }
  }

  private void write(Path file, float[][] features) {
    int cols = features.length == 0 ? 0 : features[0].length;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(8 + features.length * cols * 4);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(features.length);
      out.writeInt(cols);
      for (float[] row : features) {
        for (float v : row) {
          out.writeFloat(v);
        }
      }
      Files.createDirectories(file.getParent());
      AtomicFiles.write(file, bytes.toByteArray(), owner);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not cache features in " + file + ": " + e);
    }
  }

  private static String digest(String key) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
