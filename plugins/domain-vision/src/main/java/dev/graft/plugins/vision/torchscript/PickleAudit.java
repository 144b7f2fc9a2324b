package dev.graft.plugins.vision.torchscript;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Checks a pickle of a TorchScript archive ({@code data.pkl}, {@code constants.pkl},
 * {@code *.debug_pkl}) without running it: it walks the opcodes, accepts only those TorchScript's
 * own pickler writes (protocol 2, no STACK_GLOBAL, no INST/OBJ, no EXT, no string opcodes other
 * than BINUNICODE), and every GLOBAL must be in the allow-list's [pickle-globals] section or
 * name a class the archive's code defines. Objects the pickle builds run only the methods of
 * such classes ({@code __setstate__}), which the code audit has checked; PyTorch's C++ custom
 * classes ({@code __torch__.torch.classes.*}) are refused.
 *
 * <p>Stateless; thread-safe.
 */
final class PickleAudit {
  /** Opcode -> the bytes of its fixed-size argument. */
  private static final Map<Integer, Integer> FIXED = Map.ofEntries(
      Map.entry(0x80, 1), // PROTO
      Map.entry((int) '.', 0), // STOP
      Map.entry((int) '(', 0), // MARK
      Map.entry((int) 't', 0), // TUPLE
      Map.entry((int) ')', 0), // EMPTY_TUPLE
      Map.entry(0x85, 0), Map.entry(0x86, 0), Map.entry(0x87, 0), // TUPLE1-3
      Map.entry((int) 'J', 4), // BININT
      Map.entry((int) 'K', 1), // BININT1
      Map.entry((int) 'M', 2), // BININT2
      Map.entry((int) 'G', 8), // BINFLOAT
      Map.entry((int) 'N', 0), Map.entry(0x88, 0), Map.entry(0x89, 0), // NONE, NEWTRUE, NEWFALSE
      Map.entry((int) 'q', 1), // BINPUT
      Map.entry((int) 'r', 4), // LONG_BINPUT
      Map.entry((int) 'h', 1), // BINGET
      Map.entry((int) 'j', 4), // LONG_BINGET
      Map.entry((int) ']', 0), // EMPTY_LIST
      Map.entry((int) 'e', 0), // APPENDS
      Map.entry((int) '}', 0), // EMPTY_DICT
      Map.entry((int) 'u', 0), // SETITEMS
      Map.entry((int) 'R', 0), // REDUCE
      Map.entry((int) 'b', 0), // BUILD
      Map.entry(0x81, 0), // NEWOBJ
      Map.entry((int) 'Q', 0)); // BINPERSID
  private static final int GLOBAL = 'c';
  private static final int BINUNICODE = 'X';
  private static final int LONG1 = 0x8a;
  private static final int MAX_GLOBAL = 512;

  private PickleAudit() {}

  /**
   * Checks one pickle entry.
   *
   * @throws Refusal naming the first opcode or global that is not allowed
   */
  static void check(ScriptArchive.Entry entry, ScriptDeclarations declarations, AllowList allow) {
    byte[] b = entry.bytes();
    int pos = 0;
    while (true) {
      if (pos >= b.length) {
        throw Refusal.unsafe(entry.name(), 0, "ends before its STOP opcode");
      }
      int op = b[pos++] & 0xff;
      if (op == '.') {
        return;
      }
      Integer fixed = FIXED.get(op);
      if (fixed != null) {
        if (op == 0x80 && pos < b.length && (b[pos] & 0xff) > 2) {
          throw Refusal.unsafe(entry.name(), 0, "uses pickle protocol " + (b[pos] & 0xff)
              + " (TorchScript writes 2)");
        }
        pos += fixed;
      } else if (op == BINUNICODE) {
        long length = pos + 4 <= b.length ? littleInt(b, pos) & 0xffffffffL : Long.MAX_VALUE;
        pos = skip(entry, b, pos + 4, length);
      } else if (op == LONG1) {
        pos = skip(entry, b, pos + 1, pos < b.length ? b[pos] & 0xff : Long.MAX_VALUE);
      } else if (op == GLOBAL) {
        int moduleEnd = lineEnd(entry, b, pos);
        int nameEnd = lineEnd(entry, b, moduleEnd + 1);
        String module = new String(b, pos, moduleEnd - pos, StandardCharsets.US_ASCII);
        String name = new String(b, moduleEnd + 1, nameEnd - moduleEnd - 1,
            StandardCharsets.US_ASCII);
        global(entry, module + "." + name, declarations, allow);
        pos = nameEnd + 1;
      } else {
        throw Refusal.forbidden(String.format("pickle opcode 0x%02x", op), entry.name(), 0);
      }
    }
  }

  private static void global(ScriptArchive.Entry entry, String qualified,
      ScriptDeclarations declarations, AllowList allow) {
    if (allow.pickleGlobal(qualified)) {
      return;
    }
    if (qualified.startsWith("__torch__.") && !qualified.startsWith("__torch__.torch.classes.")
        && declarations.definition(qualified) == ScriptDeclarations.Definition.CLASS) {
      return;
    }
    throw Refusal.forbidden("the pickle global '" + Refusal.quote(qualified) + "'", entry.name(),
        0);
  }

  private static int skip(ScriptArchive.Entry entry, byte[] b, int from, long length) {
    if (from > b.length || length > b.length - from) {
      throw Refusal.unsafe(entry.name(), 0, "has a value longer than the pickle");
    }
    return from + (int) length;
  }

  /** The index of the newline ending the GLOBAL line that starts at {@code from}. */
  private static int lineEnd(ScriptArchive.Entry entry, byte[] b, int from) {
    for (int i = from; i < b.length && i - from <= MAX_GLOBAL; i++) {
      int c = b[i] & 0xff;
      if (c == '\n') {
        return i;
      }
      if (c < 0x20 || c >= 0x7f) {
        break;
      }
    }
    throw Refusal.unsafe(entry.name(), 0, "has a malformed GLOBAL opcode");
  }

  private static int littleInt(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16
        | (b[at + 3] & 0xff) << 24;
  }
}
