package dev.graft.server.engine;

import dev.graft.server.core.Echo;
import dev.graft.server.core.Limits;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.DiskSpace;
import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.security.SecuritySettings;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.inject.Inject;

/**
 * Imports a base model sent as files: stages them, proves the model opens with its domain (so a
 * broken upload never becomes a model), then publishes it as the next version. One import per
 * instance of {@link Import}; the importer itself is thread-safe.
 *
 * <p>An import is bounded by {@code max-import-parts} (distinct files), {@code max-import-bytes}
 * (all parts together) and {@code min-free-disk-bytes}; a refusal discards everything staged. Only
 * the part being written holds an open file, however many parts an import has.
 */
public final class ModelImporter {
  private final ModelStore models;
  private final PluginRegistry plugins;
  private final SecuritySettings security;
  private final Limits limits;
  private final DiskSpace disk;

  @Inject
  public ModelImporter(ModelStore models, PluginRegistry plugins, SecuritySettings security, Limits limits,
      StoreLayout layout) {
    this.models = models;
    this.plugins = plugins;
    this.security = security;
    this.limits = limits;
    this.disk = DiskSpace.of(layout.root(), limits.minFreeDiskBytes());
  }

  /** The longest format name; part names are at most {@value #MAX_PART_CHARS} characters. */
  static final int MAX_FORMAT_CHARS = 32;
  static final int MAX_PART_CHARS = 128;
  /** The most properties, and the longest property value. */
  static final int MAX_PROPERTIES = 128;
  static final int MAX_PROPERTY_VALUE = 4096;
  /** The most dimensions of {@code input.shape}, and the most elements their product may reach. */
  static final int MAX_SHAPE_RANK = 8;
  static final long MAX_SHAPE_ELEMENTS = 1L << 31;
  /** {@code input.max_tokens}, {@code input.context_length} and {@code input.horizon} ranges (0 = unset). */
  static final int MAX_TOKENS = 65_536;
  static final int MAX_CONTEXT = 1_000_000;
  /** The most {@code input.mean} and {@code input.std} values (one per channel). */
  static final int MAX_CHANNELS = 64;
  private static final Pattern FORMAT = Pattern.compile("[a-z0-9_-]{1," + MAX_FORMAT_CHARS + "}");
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (MAX_PART_CHARS - 1) + "}");
  private static final Pattern PROPERTY = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

  /**
   * Checks the declared input against documented ranges: {@code shape} up to
   * {@value #MAX_SHAPE_RANK} dimensions, each ≥ 1 (or -1 for "any"), at most
   * {@value #MAX_SHAPE_ELEMENTS} elements; {@code max_tokens} 0 to {@value #MAX_TOKENS};
   * {@code context_length} and {@code horizon} 0 to {@value #MAX_CONTEXT}; {@code mean} and
   * {@code std} up to {@value #MAX_CHANNELS} finite values, {@code std} positive.
   *
   * @throws GraftException INVALID_ARGUMENT {@code INVALID_INPUT_SPEC} naming {@code spec.input.FIELD}
   */
  static void checkInput(ModelInputSpec input) {
    if (input.shape().size() > MAX_SHAPE_RANK) {
      throw badInput("shape", "has " + input.shape().size() + " dimensions; at most " + MAX_SHAPE_RANK);
    }
    long elements = 1;
    for (long d : input.shape()) {
      if (d < 1 && d != -1) {
        throw badInput("shape", "has a dimension of " + d + "; each is ≥ 1, or -1 for any size");
      }
      if (d > 0) {
        if (d > MAX_SHAPE_ELEMENTS / elements) {
          throw badInput("shape", "has more than " + MAX_SHAPE_ELEMENTS + " elements");
        }
        elements *= d;
      }
    }
    int[][] ranges = {{input.maxTokens(), MAX_TOKENS}, {input.contextLength(), MAX_CONTEXT},
        {input.horizon(), MAX_CONTEXT}};
    String[] names = {"max_tokens", "context_length", "horizon"};
    for (int i = 0; i < names.length; i++) {
      if (ranges[i][0] < 0 || ranges[i][0] > ranges[i][1]) {
        throw badInput(names[i], "is " + ranges[i][0] + "; it must be from 0 (unset) to " + ranges[i][1]);
      }
    }
    for (String name : new String[] {"mean", "std"}) {
      List<Float> values = name.equals("mean") ? input.mean() : input.std();
      if (values.size() > MAX_CHANNELS) {
        throw badInput(name, "has " + values.size() + " values; at most " + MAX_CHANNELS);
      }
      for (float v : values) {
        if (!Float.isFinite(v) || (name.equals("std") && v <= 0)) {
          throw badInput(name, "holds " + v + "; values must be finite" + (name.equals("std") ? " and positive" : ""));
        }
      }
    }
  }

  private static GraftException badInput(String field, String message) {
    return GraftException.invalidArgument("spec.input." + field, "INVALID_INPUT_SPEC",
        "spec.input." + field + " " + message);
  }

  private static void checkProperties(Map<String, String> properties) {
    if (properties.size() > MAX_PROPERTIES) {
      throw GraftException.invalidArgument("spec.properties", "INVALID_PROPERTY",
          "spec.properties has " + properties.size() + " entries; at most " + MAX_PROPERTIES);
    }
    for (var e : properties.entrySet()) {
      if (!PROPERTY.matcher(e.getKey()).matches()) {
        throw GraftException.invalidArgument("spec.properties[" + Echo.cut(e.getKey()) + "]", "INVALID_PROPERTY",
            "property key " + Echo.quote(e.getKey()) + " is not a key: use 1 to 128 characters from A-Z, a-z, 0-9,"
                + " '_', '.', '-'");
      }
      if (e.getValue().length() > MAX_PROPERTY_VALUE) {
        throw GraftException.invalidArgument("spec.properties[" + e.getKey() + "]", "INVALID_PROPERTY",
            "property " + e.getKey() + " is " + e.getValue().length() + " characters long; at most "
                + MAX_PROPERTY_VALUE);
      }
    }
  }

  /** What the client declared about the model. */
  public record Spec(String name, String domain, String format, ModelInputSpec input, Map<String, String> properties) {}

  /**
   * Starts an import: checks the spec and opens a staging folder.
   *
   * @param createdBy the importing principal, recorded on the model
   * @throws GraftException PERMISSION_DENIED {@code CODE_IMPORTS_DISABLED} for a format that carries
   *     code while {@code allow-code-imports} is off; INVALID_ARGUMENT {@code NAME_TAKEN} when a
   *     trained model has the name; RESOURCE_EXHAUSTED {@code DISK_FULL} when the store has less
   *     than {@code min-free-disk-bytes} free
   */
  public Import begin(Spec spec, String createdBy) {
    ModelStore.validateName(spec.name(), "spec.name");
    if (spec.format().isBlank()) {
      throw GraftException.invalidArgument("spec.format", "MISSING_FIELD", "spec.format is required (e.g. onnx)");
    }
    if (!FORMAT.matcher(spec.format()).matches()) {
      throw GraftException.invalidArgument("spec.format", "INVALID_FORMAT", "spec.format " + Echo.quote(spec.format())
          + " must be a plain word of up to " + MAX_FORMAT_CHARS + " characters from a-z, 0-9, '_', '-', e.g. onnx");
    }
    if (spec.domain().isBlank()) {
      throw GraftException.invalidArgument("spec.domain", "MISSING_FIELD", "spec.domain is required (e.g. nlp)");
    }
    if (!plugins.domains().containsKey(spec.domain())) {
      throw GraftException.invalidArgument("spec.domain", "UNKNOWN_DOMAIN",
          "no domain " + Echo.quote(spec.domain()) + "; available: " + plugins.domains().keySet());
    }
    checkInput(spec.input());
    checkProperties(spec.properties());
    DomainPlugin domain = plugins.domain(spec.domain());
    if (domain.codeFormats().contains(spec.format()) && !security.allowCodeImports()) {
      throw GraftException.permissionDenied("CODE_IMPORTS_DISABLED", "format '" + spec.format() + "' carries code"
          + " that would run inside the server, so importing it is off; an operator who trusts the file's author can"
          + " set allow-code-imports=true (see docs/security.md)");
    }
    models.find(spec.name()).filter(m -> m.kind() != ModelKind.BASE).ifPresent(m -> {
      throw GraftException.invalidArgument("spec.name", "NAME_TAKEN",
          "'" + spec.name() + "' is a trained model; a base model needs a name of its own");
    });
    String what = "the import of model '" + spec.name() + "'";
    disk.require(0, what);
    try {
      return new Import(spec, domain, createdBy, models.newStagingDirectory(), disk.meter(what));
    } catch (IOException e) {
      throw GraftException.internal("STORE_IO", "cannot stage the import: " + e.getMessage(), e);
    }
  }

  /**
   * One import in progress: files arrive as parts; {@link #commit()} publishes; {@link #close()}
   * discards. Not thread-safe (one stream feeds it).
   */
  public final class Import implements AutoCloseable {
    private final Spec spec;
    private final DomainPlugin domain;
    private final String createdBy;
    private final Path staged;
    private final DiskSpace.Meter meter;
    /** The file of every part received so far. */
    private final Set<String> parts = new HashSet<>();
    /** The part being written and its stream; parts sent again later are appended to. */
    private String currentFile;
    private OutputStream current;
    private long bytes;
    private boolean committed;
    private boolean discarded;

    private Import(Spec spec, DomainPlugin domain, String createdBy, Path staged, DiskSpace.Meter meter) {
      this.spec = spec;
      this.domain = domain;
      this.createdBy = createdBy;
      this.staged = staged;
      this.meter = meter;
    }

    /**
     * Appends a chunk to a part.
     *
     * @throws GraftException INVALID_ARGUMENT {@code INVALID_PART}; RESOURCE_EXHAUSTED
     *     {@code TOO_MANY_IMPORT_PARTS}, {@code IMPORT_TOO_LARGE} or {@code DISK_FULL}, after which
     *     the import is discarded
     */
    public void write(String part, byte[] data) {
      if (committed || discarded) {
        throw GraftException.failedPrecondition("IMPORT_FINISHED", "the import of '" + spec.name() + "' is finished");
      }
      String file = part.isEmpty() ? "model." + spec.format() : part;
      if (!PART.matcher(file).matches() || file.equals("manifest.json")) {
        throw GraftException.invalidArgument("chunk.part", "INVALID_PART",
            "part " + Echo.quote(part) + " must be a plain file name of up to " + MAX_PART_CHARS
                + " characters from A-Z, a-z, 0-9, '.', '_', '-' (e.g. tokenizer.json), other than manifest.json");
      }
      if (!parts.contains(file) && parts.size() >= limits.maxImportParts()) {
        close();
        throw GraftException.resourceExhausted("TOO_MANY_IMPORT_PARTS", "the import of '" + spec.name()
            + "' sent more than max-import-parts=" + limits.maxImportParts() + " distinct parts and was discarded");
      }
      if (bytes + data.length > limits.maxImportBytes()) {
        close();
        throw GraftException.resourceExhausted("IMPORT_TOO_LARGE", "the import of '" + spec.name()
            + "' passed max-import-bytes=" + limits.maxImportBytes() + " and was discarded");
      }
      try {
        meter.beforeWrite(data.length);
      } catch (GraftException e) {
        close();
        throw e;
      }
      try {
        if (!file.equals(currentFile)) {
          closeCurrent();
          current = parts.add(file)
              ? Files.newOutputStream(staged.resolve(file), StandardOpenOption.CREATE_NEW)
              : Files.newOutputStream(staged.resolve(file), StandardOpenOption.APPEND);
          currentFile = file;
        }
        current.write(data);
      } catch (IOException e) {
        close();
        throw GraftException.internal("STORE_IO", "cannot write " + file + ": " + e.getMessage(), e);
      }
      bytes += data.length;
    }

    public ModelRecord commit() {
      try {
        closeCurrent();
      } catch (IOException e) {
        throw GraftException.internal("STORE_IO", "cannot finish " + currentFile + ": " + e.getMessage(), e);
      }
      if (!Files.exists(staged.resolve("model." + spec.format()))) {
        throw GraftException.invalidArgument("chunk", "MISSING_MODEL_FILE",
            "no model file was sent (chunks with part \"\")");
      }
      BaseModel probe = new BaseModel(spec.name(), staged, spec.format(), spec.properties());
      int dimension;
      List<String> layers;
      try (Backbone backbone = domain.openBackbone(probe, ai.djl.Device.cpu())) {
        dimension = backbone.dimension();
        layers = backbone.layers();
      } catch (GraftException e) {
        if (e.kind() == dev.graft.spi.ErrorKind.FAILED_PRECONDITION) {
          // What a domain cannot load from the store is, at import, the client's file at fault.
          throw GraftException.invalidArgument("chunk", e.reason(), unstaged(e.getMessage()));
        }
        if (e.kind() != dev.graft.spi.ErrorKind.INTERNAL) {
          // the domain's own reason, without the staging folder it names
          throw new GraftException(e.kind(), e.reason(), e.field(), unstaged(e.getMessage()), e);
        }
        throw GraftException.invalidArgument("chunk", "INVALID_MODEL_FILE",
            "the " + spec.domain() + " domain cannot open this " + spec.format() + " model: "
                + unstaged(e.getMessage()));
      } catch (RuntimeException e) {
        throw GraftException.invalidArgument("chunk", "INVALID_MODEL_FILE",
            "the " + spec.domain() + " domain cannot open this " + spec.format() + " model: "
                + unstaged(String.valueOf(e.getMessage())));
      }
      Map<String, String> properties = new HashMap<>(spec.properties());
      properties.putIfAbsent("layers_available", String.join(",", layers));
      ModelRecord draft = new ModelRecord(spec.name(), 0, ModelKind.BASE, domain.id(),
          spec.format().equals("onnx") ? "OnnxRuntime" : "PyTorch", spec.format(), "", "", "",
          "", null, List.of(), List.of(), spec.input(), Map.of(), properties, 0, null, "", dimension, createdBy);
      ModelRecord stored = models.create(draft, staged);
      committed = true;
      return stored;
    }

    /** A plugin's message with the staging folder written as "the import" (clients never see server paths). */
    private String unstaged(String message) {
      if (message == null) {
        return "";
      }
      return message.replace(staged.toAbsolutePath().toString(), "the import").replace(staged.toString(), "the import");
    }

    private void closeCurrent() throws IOException {
      OutputStream out = current;
      current = null;
      currentFile = null;
      if (out != null) {
        out.close();
      }
    }

    /** Discards the import unless committed: closes its file and deletes the staged parts. Idempotent. */
    @Override
    public void close() {
      if (committed || discarded) {
        return;
      }
      discarded = true;
      try {
        closeCurrent();
      } catch (IOException ignored) {
        // discarded anyway
      }
      try (Stream<Path> files = Files.walk(staged)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort: staging is wiped at the next start
      }
    }
  }
}
