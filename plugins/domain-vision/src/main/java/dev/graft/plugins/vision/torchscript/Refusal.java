package dev.graft.plugins.vision.torchscript;

/**
 * Why {@link OperatorAudit} refuses a TorchScript file: a stable reason and a short message that
 * names the operator or problem and where in the archive it is (an entry name inside the zip,
 * never a server path). Every piece taken from the file is cut to a few dozen characters.
 * {@link OperatorAudit} turns it into a GraftException for the model.
 */
final class Refusal extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** The reason for an operator, name or pickle global outside the allow-list. */
  static final String FORBIDDEN_OPERATOR = "FORBIDDEN_OPERATOR";
  /** The reason for an archive that breaks the audit's bounds or rules (size, names, code). */
  static final String UNSAFE_ARCHIVE = "UNSAFE_TORCHSCRIPT_ARCHIVE";
  /** The reason for a file that is no readable zip at all (as when PyTorch cannot load it). */
  static final String UNREADABLE = "UNREADABLE_MODEL";
  /** The reason for a tensor or storage larger than the record that holds its bytes. */
  static final String STORAGE_TOO_SMALL = "STORAGE_TOO_SMALL";

  private static final int MAX_QUOTE = 80;

  private final String reason;

  private Refusal(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }

  /** {@code what} (e.g. "operator 'aten::from_file'") is not allowed, found at file:line. */
  static Refusal forbidden(String what, String file, int line) {
    return new Refusal(FORBIDDEN_OPERATOR, what + " at " + quote(file) + (line > 0 ? ":" + line
        : "") + " is not in the allow-list");
  }

  /** The archive itself is refused; {@code why} completes "the code file FILE ...". */
  static Refusal unsafe(String file, int line, String why) {
    return new Refusal(UNSAFE_ARCHIVE, quote(file) + (line > 0 ? ":" + line : "") + " " + why);
  }

  /** The archive as a whole is refused. */
  static Refusal archive(String why) {
    return new Refusal(UNSAFE_ARCHIVE, why);
  }

  /** The storage record {@code record} (an entry inside the archive) is too small: {@code why}. */
  static Refusal storageTooSmall(String record, String why) {
    return new Refusal(STORAGE_TOO_SMALL, "the weights stored in " + quote(record)
        + " are cut short: " + why);
  }

  /** The file is no readable zip (truncated, corrupt, or something else entirely). */
  static Refusal unreadable(String why) {
    return new Refusal(UNREADABLE, why);
  }

  /** {@code s} cut to {@value #MAX_QUOTE} characters, non-printable characters replaced. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < MAX_QUOTE; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return s.length() > MAX_QUOTE ? b + "..." : b.toString();
  }
}
