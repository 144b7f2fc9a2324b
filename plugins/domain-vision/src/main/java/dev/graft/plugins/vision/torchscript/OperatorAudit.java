package dev.graft.plugins.vision.torchscript;

import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Inspects a TorchScript file before PyTorch's native loader touches it, and refuses modules
 * that could do more than compute on tensors. A TorchScript file is a program: torch's loader
 * compiles its code and runs it ({@code __setstate__} at load, {@code forward} at every pass),
 * and that code may call any operator libtorch has, {@code aten::from_file} (read a server file)
 * and {@code aten::save} (write one) among them. The audit reads the archive with bounds
 * ({@link ScriptArchive}), then checks every name in every code file ({@link ScriptChecker})
 * and every global in every pickle ({@link PickleAudit}) against an allow-list of pure
 * tensor and network operators ({@link AllowList}, the resource
 * {@value AllowList#RESOURCE}); anything else, unknown names included, is refused. Then
 * {@link StorageAudit} checks that every tensor the pickles rebuild fits the bytes stored for
 * it, since PyTorch's loader does not.
 *
 * <p>{@link ScriptedNetwork#load} runs it before every native load, so the probe pass of an
 * import and every later backbone or trainable copy are audited.
 *
 * <p>Stateless; thread-safe.
 */
final class OperatorAudit {
  private OperatorAudit() {}

  /**
   * Audits {@code file}, the TorchScript file of model {@code model}.
   *
   * @throws GraftException FAILED_PRECONDITION, reason {@value Refusal#FORBIDDEN_OPERATOR} when
   *     the code calls an operator (or uses a name, member or pickle global) outside the
   *     allow-list, naming it and the code file; reason {@value Refusal#UNSAFE_ARCHIVE} when the
   *     archive breaks the audit's bounds or rules; {@value Refusal#STORAGE_TOO_SMALL} when a
   *     tensor reaches past the stored bytes of its storage ({@link StorageAudit});
   *     UNREADABLE_MODEL when it is no readable zip
   */
  static void check(Path file, String model) {
    try {
      StorageAudit.check(audit(file));
    } catch (Refusal r) {
      String what = switch (r.reason()) {
        case Refusal.FORBIDDEN_OPERATOR -> " calls something a TorchScript vision model may not: ";
        case Refusal.UNREADABLE -> " cannot be loaded as a TorchScript module: ";
        case Refusal.STORAGE_TOO_SMALL -> " has weights that do not fit their stored data: ";
        default -> " is not an acceptable TorchScript archive: ";
      };
      throw GraftException.failedPrecondition(r.reason(), Refusal.quote(model) + what
          + r.getMessage());
    } catch (IOException e) {
      throw GraftException.failedPrecondition("UNREADABLE_MODEL", Refusal.quote(model)
          + ": its TorchScript file cannot be read");
    }
  }

  /**
   * The operator audit itself (code and pickle globals): throws {@link Refusal} for a module it
   * does not accept, else returns the archive it read (for {@link StorageAudit}).
   */
  static ScriptArchive audit(Path file) throws IOException {
    ScriptArchive archive = ScriptArchive.read(file);
    AllowList allow = AllowList.get();
    ScriptDeclarations declarations = new ScriptDeclarations();
    List<ScriptSource> sources = new ArrayList<>();
    for (ScriptArchive.Entry entry : archive.code()) {
      ScriptSource source = ScriptSource.of(entry.name(), entry.text());
      declarations.add(source);
      sources.add(source);
    }
    for (ScriptSource source : sources) {
      new ScriptChecker(source, declarations, allow).check();
    }
    for (ScriptArchive.Entry entry : archive.pickles()) {
      PickleAudit.check(entry, declarations, allow);
    }
    return archive;
  }
}
