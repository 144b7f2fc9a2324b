package dev.graft.server.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import javax.inject.Inject;
import javax.inject.Named;
import javax.inject.Singleton;
import javax.security.auth.x500.X500Principal;

/**
 * Turns a bearer token or a verified client certificate into a {@link Principal}. Tokens are
 * compared by their SHA-256, so the server never holds them. The tokens file is read at start
 * (a bad file stops start-up) and again whenever it changes ({@link FileWatch}); a change that
 * does not parse is logged and the previous principals stay in force. Thread-safe.
 */
@Singleton
public final class Authenticator {
  /** Legacy single admin token ({@code auth-token}): its principal's name. */
  static final String ADMIN_TOKEN_NAME = "admin";

  private final SecuritySettings settings;
  private final String adminTokenHash;
  private volatile TokensFile tokens;

  @Inject
  public Authenticator(SecuritySettings settings, @Named("credentials") ScheduledExecutorService timer) {
    this.settings = settings;
    this.adminTokenHash = settings.adminToken().isEmpty() ? "" : sha256(settings.adminToken());
    this.tokens = settings.tokensFile().map(TokensFile::read).orElse(TokensFile.empty());
    settings.tokensFile().ifPresent(file -> FileWatch.start(List.of(file), "auth-tokens-file " + file,
        () -> tokens = TokensFile.read(file), settings.credentialsRefresh(), timer));
  }

  /** Whether callers must authenticate at all. */
  public boolean enabled() {
    return settings.authEnabled();
  }

  /** The principal holding {@code token}, if any. */
  public Optional<Principal> byToken(String token) {
    String hash = sha256(token);
    if (!adminTokenHash.isEmpty() && MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII),
        adminTokenHash.getBytes(StandardCharsets.US_ASCII))) {
      return Optional.of(new Principal(ADMIN_TOKEN_NAME, Role.ADMIN, true));
    }
    return tokens.byTokenHash(hash);
  }

  /** The principal a verified client certificate's subject is mapped to, if any. */
  public Optional<Principal> bySubject(X500Principal subject) {
    return tokens.bySubject(subject);
  }

  static String sha256(String token) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
