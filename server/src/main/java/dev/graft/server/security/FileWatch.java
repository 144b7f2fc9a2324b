package dev.graft.server.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Calls a reload action when any of a few files changes (size, modification time or the file
 * itself, as when a new file is moved into place or a Kubernetes Secret is updated). Checked every
 * period on a shared timer. The action throws to say the new contents are unusable: that is logged
 * and the previous contents stay in force until the files change again. Close to stop watching.
 */
public final class FileWatch implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FileWatch.class.getName());

  /** Loads the files' new contents; throws {@link IllegalArgumentException} when they are unusable. */
  public interface Reload {
    void run();
  }

  private final List<Path> files;
  private final String what;
  private final Reload reload;
  private final ScheduledFuture<?> task;
  private List<Object> version;

  private FileWatch(List<Path> files, String what, Reload reload, java.time.Duration period,
      ScheduledExecutorService timer) {
    this.files = List.copyOf(files);
    this.what = what;
    this.reload = reload;
    this.version = version(files);
    long millis = period.toMillis();
    this.task = timer.scheduleWithFixedDelay(this::check, millis, millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Watches {@code files} (already loaded by the caller) and calls {@code reload} when they change.
   *
   * @param what how log lines name the files ("tls-cert/tls-key")
   */
  public static FileWatch start(List<Path> files, String what, Reload reload, java.time.Duration period,
      ScheduledExecutorService timer) {
    return new FileWatch(files, what, reload, period, timer);
  }

  private synchronized void check() {
    List<Object> now = version(files);
    if (Objects.equals(now, version)) {
      return;
    }
    version = now;
    try {
      reload.run();
      LOG.log(System.Logger.Level.INFO, what + " changed and was re-read");
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, what + " changed but cannot be used; the previous contents stay in force: "
          + e.getMessage());
    }
  }

  private static List<Object> version(List<Path> files) {
    List<Object> out = new ArrayList<>();
    for (Path f : files) {
      try {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        out.add(a.lastModifiedTime().toMillis() + ":" + a.size() + ":" + a.fileKey());
      } catch (IOException e) {
        out.add("missing");
      }
    }
    return out;
  }

  @Override
  public void close() {
    task.cancel(false);
  }
}
