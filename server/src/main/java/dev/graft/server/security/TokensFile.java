package dev.graft.server.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

/**
 * The principals of a tokens file: one a line, {@code NAME ROLE SHA256-OF-TOKEN} or
 * {@code NAME ROLE subject=DN} (an mTLS client certificate's subject, RFC 2253), {@code #} starting
 * a comment. The file holds hashes, never tokens. Immutable.
 */
public final class TokensFile {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final String SUBJECT = "subject=";
  /** A tokens file is small; a huge one is a mistake (or an attack on start-up). */
  private static final long MAX_BYTES = 4L << 20;

  private final Map<String, Principal> byTokenHash;
  private final Map<X500Principal, Principal> bySubject;

  private TokensFile(Map<String, Principal> byTokenHash, Map<X500Principal, Principal> bySubject) {
    this.byTokenHash = Map.copyOf(byTokenHash);
    this.bySubject = Map.copyOf(bySubject);
  }

  /** No principals at all. */
  public static TokensFile empty() {
    return new TokensFile(Map.of(), Map.of());
  }

  /**
   * Reads and checks a tokens file.
   *
   * @throws IllegalArgumentException naming the file, the line and what is wrong with it
   */
  public static TokensFile read(Path file) {
    List<String> lines;
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException(file + ": larger than " + MAX_BYTES + " bytes");
      }
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
    }
    return parse(file.toString(), lines);
  }

  static TokensFile parse(String source, List<String> lines) {
    Map<String, Principal> byHash = new HashMap<>();
    Map<X500Principal, Principal> bySubject = new HashMap<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      String text = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (text.isEmpty()) {
        continue;
      }
      String where = source + ":" + (i + 1) + ": ";
      String[] f = text.split("\\s+", 3);
      if (f.length < 3) {
        throw new IllegalArgumentException(where + "expected NAME ROLE SHA256-OF-TOKEN (or NAME ROLE subject=DN)");
      }
      if (!NAME.matcher(f[0]).matches()) {
        throw new IllegalArgumentException(where + "the name must be 1 to 64 characters from A-Z a-z 0-9 . _ @ -"
            + " starting with a letter or digit");
      }
      if (!names.add(f[0])) {
        throw new IllegalArgumentException(where + "the name '" + f[0] + "' appears twice");
      }
      Role role;
      try {
        role = Role.parse(f[1]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + e.getMessage(), e);
      }
      Principal principal = new Principal(f[0], role, true);
      if (f[2].startsWith(SUBJECT)) {
        X500Principal subject;
        try {
          subject = new X500Principal(f[2].substring(SUBJECT.length()).strip());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + "not a distinguished name (e.g. subject=CN=client-1,O=Acme)", e);
        }
        if (bySubject.put(subject, principal) != null) {
          throw new IllegalArgumentException(where + "the subject appears twice");
        }
      } else {
        String digest = f[2].toLowerCase(Locale.ROOT);
        if (!SHA256.matcher(digest).matches()) {
          throw new IllegalArgumentException(where + "the third field must be the token's SHA-256 (64 hex characters),"
              + " never the token itself, or subject=DN");
        }
        if (byHash.put(digest, principal) != null) {
          throw new IllegalArgumentException(where + "the same token hash appears twice");
        }
      }
    }
    return new TokensFile(byHash, bySubject);
  }

  /** The principal whose token hashes to {@code sha256Hex}. */
  public Optional<Principal> byTokenHash(String sha256Hex) {
    return Optional.ofNullable(byTokenHash.get(sha256Hex));
  }

  /** The principal mapped to a client certificate's subject. */
  public Optional<Principal> bySubject(X500Principal subject) {
    return Optional.ofNullable(bySubject.get(subject));
  }

  /** How many principals the file names. */
  public int size() {
    return byTokenHash.size() + bySubject.size();
  }
}
