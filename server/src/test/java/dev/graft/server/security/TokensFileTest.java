package dev.graft.server.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

class TokensFileTest {
  private static final String HASH = Authenticator.sha256("graft_x");

  @Test
  void readsHashesAndSubjectsWithCommentsAndBlankLines() {
    TokensFile f = TokensFile.parse("tokens", List.of("# who may call", "", "ci   trainer  " + HASH + "  # the CI",
        "svc reader subject=CN=svc, O=Acme Corp"));
    assertEquals(Optional.of(new Principal("ci", Role.TRAINER, true)), f.byTokenHash(HASH));
    assertEquals(Optional.of(new Principal("svc", Role.READER, true)),
        f.bySubject(new X500Principal("CN=svc,O=Acme Corp")));
    assertEquals(Optional.empty(), f.bySubject(new X500Principal("CN=svc")));
    assertEquals(2, f.size());
  }

  @Test
  void eachMistakeNamesItsLine() {
    assertError("tokens:1: expected NAME ROLE", "ci trainer");
    assertError("tokens:1: the name must be", "-ci trainer " + HASH);
    assertError("tokens:1: unknown role 'root'", "ci root " + HASH);
    assertError("tokens:2: the name 'ci' appears twice", "ci trainer " + HASH, "ci reader " + "0".repeat(64));
    assertError("tokens:2: the same token hash appears twice", "a trainer " + HASH, "b reader " + HASH);
    assertError("tokens:1: not a distinguished name", "a reader subject=not a dn");
  }

  private static void assertError(String expected, String... lines) {
    var e = assertThrows(IllegalArgumentException.class, () -> TokensFile.parse("tokens", List.of(lines)));
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }
}
