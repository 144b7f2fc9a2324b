package dev.graft.plugins.vision.torchscript;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import dev.graft.plugins.vision.image.InputProperties;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.spi.BaseModel;
import dev.graft.spi.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stored {@code torchscript} vision base model: where its TorchScript file is and the input
 * it expects. The file is {@value #MODEL_FILE} (what ImportModel writes for the model file, part
 * ""), else {@value #FALLBACK_FILE}. Manifest properties: {@code input_channels} (1 or 3,
 * default 3), {@code input_size} (default 224), {@code input_crop}, {@code input_scale},
 * {@code input_mean}, {@code input_std} (as for converted networks, see
 * {@link InputProperties}).
 *
 * <p>Immutable; safe to share. Each {@link #load} gives an independent copy of the module.
 *
 * @param name the model's {@code name@version}
 * @param file the TorchScript file
 * @param spec the input it expects
 */
record ScriptedNetwork(String name, Path file, InputSpec spec) {
  /** The file ImportModel writes for format {@code torchscript} (chunks with part ""). */
  static final String MODEL_FILE = "model.torchscript";
  /** Accepted when {@link #MODEL_FILE} is absent (a model placed by hand). */
  static final String FALLBACK_FILE = "model.pt";
  /** The engine the modules run on. */
  static final String ENGINE = "PyTorch";

  /**
   * Finds the file and reads the input properties.
   *
   * @throws GraftException FAILED_PRECONDITION when the file is missing or a property is bad
   */
  static ScriptedNetwork of(BaseModel base) {
    Path file = base.directory().resolve(MODEL_FILE);
    if (!Files.isRegularFile(file)) {
      file = base.directory().resolve(FALLBACK_FILE);
    }
    if (!Files.isRegularFile(file)) {
      throw GraftException.failedPrecondition("MODEL_FILE_MISSING", base.name() + " has no "
          + MODEL_FILE);
    }
    try {
      int channels = Integer.parseInt(base.property("input_channels", "3").trim());
      return new ScriptedNetwork(base.name(), file, InputProperties.spec(base, 224, channels));
    } catch (IllegalArgumentException e) {
      throw GraftException.failedPrecondition("BAD_MODEL_PROPERTIES", base.name()
          + " has unusable input properties: " + e.getMessage());
    }
  }

  /**
   * A fresh copy of the module, owned by {@code manager} (closing the manager frees it). The file
   * is audited first ({@link OperatorAudit}): PyTorch never sees a module that calls operators
   * outside the allow-list.
   *
   * @throws GraftException FAILED_PRECONDITION FORBIDDEN_OPERATOR or UNSAFE_TORCHSCRIPT_ARCHIVE
   *     when the audit refuses the file, UNREADABLE_MODEL when PyTorch cannot load it
   */
  PtSymbolBlock load(NDManager manager) {
    if (!(manager instanceof PtNDManager pt)) {
      throw new IllegalArgumentException("a TorchScript module needs a PyTorch manager, got "
          + manager.getEngine().getEngineName());
    }
    OperatorAudit.check(file, name);
    try {
      return JniUtils.loadModule(pt, file, true, new String[0], new String[0], true);
    } catch (EngineException | IllegalArgumentException | IllegalStateException e) {
      throw GraftException.failedPrecondition("UNREADABLE_MODEL", "PyTorch cannot load "
          + name + " as a TorchScript module: " + firstLine(e.getMessage()));
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no reason given";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }
}
