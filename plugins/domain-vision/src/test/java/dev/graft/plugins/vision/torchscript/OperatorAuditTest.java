package dev.graft.plugins.vision.torchscript;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operator audit on its own (no native code): the committed fixtures (made by
 * {@code make_fixture.py} and {@code make_attack_fixtures.py}), and archives made here
 * from the benign fixture {@code tiny_cnn.pt} with one line of its forward replaced, one entry
 * added or one pickle changed. The rewrites that must pass (allowed lines, an ordinary member,
 * an ordinary class) show that a refusal comes from the forbidden part, not from the rewrite.
 */
class OperatorAuditTest {
  private static final String CODE = "tiny_cnn/code/__torch__.py";
  private static final String ANCHOR = "    head = self.head\n";

  @TempDir Path dir;

  static byte[] fixture(String name) throws IOException {
    try (InputStream in = OperatorAuditTest.class.getResourceAsStream("/torchscript/" + name)) {
      return in.readAllBytes();
    }
  }

  /** The entries of a zip (read through its directory: torch writes data descriptors). */
  static Map<String, byte[]> entries(byte[] zip) throws IOException {
    Path file = Files.createTempFile("graft-audit-test", ".zip");
    try {
      Files.write(file, zip);
      Map<String, byte[]> out = new LinkedHashMap<>();
      try (ZipFile in = new ZipFile(file.toFile())) {
        for (ZipEntry e : java.util.Collections.list(in.entries())) {
          try (InputStream data = in.getInputStream(e)) {
            out.put(e.getName(), data.readAllBytes());
          }
        }
      }
      return out;
    } finally {
      Files.delete(file);
    }
  }

  static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /**
   * tiny_cnn.pt with {@code added} put in TinyCnn.forward (indented there; a literal
   * backslash-n or backslash-r in it becomes a newline or carriage return).
   */
  static byte[] withForwardLine(String added) throws IOException {
    String line = "    " + added.replace("\\n", "\n    ").replace("\\r", "\r");
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    String code = new String(entries.get(CODE), StandardCharsets.UTF_8);
    assertTrue(code.contains(ANCHOR), "the fixture's forward changed; update the anchor");
    entries.put(CODE, code.replace(ANCHOR, ANCHOR + line + "\n")
        .getBytes(StandardCharsets.UTF_8));
    return zip(entries);
  }

  private Path write(byte[] bytes) throws IOException {
    Path file = Files.createTempFile(dir, "model", ".torchscript");
    Files.write(file, bytes);
    return file;
  }

  private Refusal refused(byte[] archive) throws IOException {
    Path file = write(archive);
    return assertThrows(Refusal.class, () -> OperatorAudit.audit(file));
  }

  private void passes(byte[] archive) throws IOException {
    Path file = write(archive);
    assertDoesNotThrow(() -> OperatorAudit.audit(file));
  }

  /** The fixture CNN, and torchvision classifiers (scripted by torch 2.7.1, code kept). */
  @ParameterizedTest
  @ValueSource(strings = {"tiny_cnn.pt", "tiny_cnn_map.pt", "code_resnet18.pt",
      "code_mobilenet_v3_small.pt", "code_efficientnet_b0.pt"})
  void theBenignFixturesPass(String name) throws IOException {
    passes(fixture(name));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "attack_from_file.pt | operator 'aten::from_file' (torch.from_file)",
      "attack_save.pt      | operator 'aten::save' (torch.save)"})
  void theAttackFixturesAreRefusedNamingTheOperatorAndFile(String name, String operator)
      throws IOException {
    Refusal r = refused(fixture(name));
    assertEquals(Refusal.FORBIDDEN_OPERATOR, r.reason());
    String root = name.substring(0, name.length() - 3);
    assertEquals(operator + " at " + root + "/code/__torch__.py:8 is not in the allow-list",
        r.getMessage());
  }

  /** A line that must pass, proving the rewrite itself keeps the archive acceptable. */
  @ParameterizedTest
  @ValueSource(strings = {
      "_9 = torch.relu(x)",
      "_9 = torch.nn.functional.relu(x)",
      "_9 = (x).size()",
      "_9 = x.shape",
      "_9 = ops.prim.dtype(x)",
      "_9 = getattr(self, \"head\")",
      "_9 = \"a\\\\\" + \"torch.from_file(x)\"",
      "_9 = torch.add(x, 1)  # torch.from_file(\"/etc/passwd\")",
      "_9, _10 = (x, x)\\n_11 = torch.cat([_9, _10])"})
  void allowedCodePasses(String line) throws IOException {
    passes(withForwardLine(line));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "_9 = torch.foo(x)                                 | operator 'aten::foo'",
      "_9 = torch.from_file(\"/etc/passwd\", False, 4)     | operator 'aten::from_file'",
      "_9 = torch.ops.aten.from_file(\"/etc/passwd\")      | operator 'aten::from_file'",
      "_9 = torch.autograd.from_file(\"/etc/passwd\")      | operator 'aten::from_file'",
      "_9 = torch.nn.functional.from_file(\"/etc/passwd\") | operator 'aten::from_file'",
      "_9 = ops.aten.save(x, \"/tmp/x\")                   | operator 'aten::save'",
      "_9 = ops.prim.Print(x)                            | operator 'prim::Print'",
      "_9 = ops.c10d.barrier(x)                          | operator 'c10d::barrier'",
      "_9 = getattr(x, \"as_strided\")([1], [1])           | operator 'aten::as_strided'",
      "_9 = (x).set_(x)                                  | operator 'aten::set_'",
      "_9 = (x).untyped_storage()                        | 'untyped_storage'",
      "_9 = getattr(x, \"fr\" \"om_file\")                 | getattr with a name",
      "_9 = fork(x)                                      | the name 'fork'",
      "print(x)                                          | the name 'print'",
      "_9 = open(\"/etc/passwd\")                          | the name 'open'",
      "_9 = torch                                        | the reference 'torch'",
      "_9 = torch.classes.dist_c10d.FileStore(\"/tmp/x\")  | the reference 'torch.classes",
      "_9 = __torch__.torch.classes.dist_c10d.FileStore  | the custom class",
      "_9 = __torch__.Missing(x)                         | '__torch__.Missing'",
      "_9 = zz\\nzz = x                              | the name 'zz'",
      "print = x                                         | rebinding the builtin name 'print'",
      "_9 = 1.from_file                                  | the name 'from_file'",
      "_9 = \"a\\\\\" + torch.from_file(\"x\")                | operator 'aten::from_file'",
      "_9 = lambda: x                                    | the name 'lambda'",
      "del x                                             | the name 'del'"})
  void forbiddenCodeIsRefusedNamingIt(String line, String named) throws IOException {
    Refusal r = refused(withForwardLine(line));
    assertEquals(Refusal.FORBIDDEN_OPERATOR, r.reason(), r.getMessage());
    assertTrue(r.getMessage().contains(named), r.getMessage());
    assertTrue(r.getMessage().contains(CODE + ":"), r.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "_9 = [x for i in range(3)]                  | has a comprehension",
      "_9 = x  \\r _9 = torch.from_file(\"x\")        | U+000D",
      "_9 = t\u043erch.relu(x)                       | U+043E",
      "_9 = \"never ends                          | a string that never ends",
      "def inner(y: Tensor) -> Tensor:\\n  return y | nested class or function"})
  void codeTheLexerCannotVouchForIsRefused(String line, String why) throws IOException {
    Refusal r = refused(withForwardLine(line));
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason(), r.getMessage());
    assertTrue(r.getMessage().contains(why), r.getMessage());
  }

  @Test
  void overlongLinesAreRefused() throws IOException {
    passes(withForwardLine("_9 = [" + "1, ".repeat(2000) + "]"));
    Refusal r = refused(withForwardLine("_9 = [" + "1, ".repeat(3000) + "]"));
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains("more than " + ScriptChecker.MAX_LINE_TOKENS + " tokens"),
        r.getMessage());
  }

  @Test
  void aMemberNamedLikeAForbiddenOperatorIsRefused() throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    String code = new String(entries.get(CODE), StandardCharsets.UTF_8)
        .replace("  pool : bool\n", "  pool : bool\n  as_strided : Tensor\n  stem : Tensor\n");
    entries.put(CODE, code.replace(ANCHOR, ANCHOR + "    _9 = self.stem\n")
        .getBytes(StandardCharsets.UTF_8));
    passes(zip(entries)); // a declared member with an ordinary name is fine
    entries.put(CODE, code.replace(ANCHOR, ANCHOR + "    _9 = self.as_strided\n")
        .getBytes(StandardCharsets.UTF_8));
    Refusal r = refused(zip(entries));
    assertTrue(r.getMessage().contains("operator 'aten::as_strided' (as a method)"),
        r.getMessage());
  }

  /** PyTorch types some quantized classes' attributes as C++ custom classes, found by name. */
  @ParameterizedTest
  @ValueSource(strings = {"__torch__/torch/nn/quantized/modules/linear",
      "__torch__/torch/nn/quant/___torch_mangle_1ized/modules/linear",
      "__torch__/torch/classes/quantized"})
  void quantizedAndCustomClassesAreRefused(String path) throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    byte[] linear = "class Linear(Module):\n  training : bool\n".getBytes(StandardCharsets.UTF_8);
    entries.put("tiny_cnn/code/__torch__/torch/nn/linear.py", linear);
    passes(zip(entries)); // an ordinary class is fine
    entries.put("tiny_cnn/code/" + path + ".py", linear);
    Refusal r = refused(zip(entries));
    assertTrue(r.getMessage().contains("(quantized or custom class)"), r.getMessage());
  }

  @Test
  void topLevelStatementsOtherThanClassAndDefAreRefused() throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    byte[] code = entries.get(CODE);
    entries.put(CODE, ("import os\n" + new String(code, StandardCharsets.UTF_8))
        .getBytes(StandardCharsets.UTF_8));
    Refusal r = refused(zip(entries));
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains("only classes and functions"), r.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "__torch__.torch.classes.dist_c10d\\nFileStore | __torch__.torch.classes.dist_c10d.FileStore",
      "os\\nsystem                                   | os.system",
      "__torch__\\nNotInTheArchive                   | __torch__.NotInTheArchive"})
  void picklesMayReferOnlyToAllowedGlobals(String global, String named) throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    String pickle = new String(entries.get("tiny_cnn/data.pkl"), StandardCharsets.ISO_8859_1);
    assertTrue(pickle.contains("c__torch__\nTinyCnn\n"), "the fixture's data.pkl changed");
    entries.put("tiny_cnn/data.pkl", pickle.replace("c__torch__\nTinyCnn\n",
        "c" + global.replace("\\n", "\n").strip() + "\n").getBytes(StandardCharsets.ISO_8859_1));
    Refusal r = refused(zip(entries));
    assertEquals(Refusal.FORBIDDEN_OPERATOR, r.reason());
    assertTrue(r.getMessage().contains("the pickle global '" + named + "'"), r.getMessage());
    assertTrue(r.getMessage().contains("tiny_cnn/data.pkl"), r.getMessage());
  }

  @Test
  void pickleOpcodesTorchScriptNeverWritesAreRefused() throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    byte[] pickle = entries.get("tiny_cnn/data.pkl");
    byte[] stackGlobal = Arrays.copyOf(pickle, pickle.length);
    stackGlobal[2] = (byte) 0x93; // STACK_GLOBAL where the first GLOBAL was
    entries.put("tiny_cnn/data.pkl", stackGlobal);
    Refusal r = refused(zip(entries));
    assertTrue(r.getMessage().contains("pickle opcode 0x93"), r.getMessage());
  }

  @Test
  void anArchiveWithoutCodeIsRefused() throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    entries.keySet().removeIf(name -> name.endsWith(".py"));
    Refusal r = refused(zip(entries));
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains("no TorchScript code"), r.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "tiny_cnn/code/../../evil.py      | unsafe name",
      "/tiny_cnn/code/__torch__/evil.py | unsafe name",
      "tiny_cnn/CODE/__torch__.py       | two entries named",
      "tiny_cnn/model.json              | legacy TorchScript archives",
      "elsewhere.py                     | outside the archive's code/ folder"})
  void unsafeEntryNamesAreRefused(String name, String why) throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    entries.put(name, "def f(x: Tensor) -> Tensor:\n  return x\n".getBytes(StandardCharsets.UTF_8));
    Refusal r = refused(zip(entries));
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains(why), r.getMessage());
  }

  @Test
  void tooManyEntriesAreRefused() throws IOException {
    Map<String, byte[]> entries = entries(fixture("tiny_cnn.pt"));
    for (int i = 0; entries.size() <= ScriptArchive.MAX_ENTRIES; i++) {
      entries.put("tiny_cnn/extra/" + i, new byte[0]);
    }
    Refusal r = refused(zip(entries));
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains("more than " + ScriptArchive.MAX_ENTRIES + " entries"),
        r.getMessage());
  }

  @Test
  void aZipBombOfCodeIsRefusedWhileReading() throws IOException {
    Path file = dir.resolve("bomb.torchscript");
    byte[] comment = ("#" + "x".repeat(1022) + "\n").getBytes(StandardCharsets.US_ASCII);
    try (OutputStream raw = Files.newOutputStream(file);
        ZipOutputStream out = new ZipOutputStream(raw)) {
      out.putNextEntry(new ZipEntry("bomb/code/__torch__.py"));
      for (long n = 0; n <= ScriptArchive.MAX_AUDITED_BYTES / comment.length; n++) {
        out.write(comment);
      }
      out.closeEntry();
    }
    assertTrue(Files.size(file) < ScriptArchive.MAX_AUDITED_BYTES / 100, "a small file");
    Refusal r = assertThrows(Refusal.class, () -> OperatorAudit.audit(file));
    assertEquals(Refusal.UNSAFE_ARCHIVE, r.reason());
    assertTrue(r.getMessage().contains("exceed 16 MiB uncompressed"), r.getMessage());
  }

  @Test
  void aFlatbufferModuleDisguisedAsAZipIsRefused() throws IOException {
    byte[] polyglot = fixture("tiny_cnn.pt");
    System.arraycopy("PTMF".getBytes(StandardCharsets.US_ASCII), 0, polyglot, 4, 4);
    Refusal r = refused(polyglot);
    assertTrue(r.getMessage().contains("flatbuffer"), r.getMessage());
  }

  @Test
  void refusalsBecomeShortFailedPreconditionsWithoutServerPaths() throws IOException {
    Path file = write(withForwardLine("_9 = torch." + "a".repeat(5000) + "(x)"));
    GraftException e = assertThrows(GraftException.class,
        () -> OperatorAudit.check(file, "tiny@1"));
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("FORBIDDEN_OPERATOR", e.reason());
    assertTrue(e.getMessage().startsWith("tiny@1 calls something"), e.getMessage());
    assertTrue(e.getMessage().length() < 400, e.getMessage().length() + " characters");
    assertFalse(e.getMessage().contains(dir.toString()), e.getMessage());
  }

  @Test
  void theAllowListIsSmallAndHoldsNoFileOrProcessOperators() {
    AllowList allow = AllowList.get();
    assertTrue(allow.size() > 200 && allow.size() < 600, "size " + allow.size());
    for (String forbidden : new String[] {"from_file", "save", "_print", "as_strided", "set_",
        "untyped_storage", "data_ptr", "_load_for_mobile"}) {
      assertFalse(allow.operator("aten", forbidden), forbidden);
      assertFalse(allow.member(forbidden), forbidden);
    }
    assertTrue(allow.isAtenName("from_file"), "the aten name list is loaded");
    assertTrue(allow.operator("aten", "conv2d"));
  }
}
