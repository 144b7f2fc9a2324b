package dev.graft.client;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks PEM material before it reaches the TLS stack, so that a wrong file fails in the builder
 * with a message that says what is wrong, not at the first call as a handshake error.
 */
final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  private Pem() {}

  /** The X.509 certificates in PEM bytes (at least one). */
  static List<X509Certificate> certificates(byte[] pem, String what) {
    if (pem == null || !new String(pem, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException(what + ": no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    try {
      List<X509Certificate> certificates = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
        certificates.add((X509Certificate) c);
      }
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException(what + ": no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      return certificates;
    } catch (CertificateException e) {
      throw new IllegalArgumentException(what + ": not a valid PEM certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Checks that the chain holds a certificate and that the key is an unencrypted PKCS#8 PEM key
   * belonging to its first certificate.
   */
  static void checkKeyPair(byte[] chainPem, byte[] keyPem) {
    X509Certificate leaf = certificates(chainPem, "the client certificate").get(0);
    String text = keyPem == null ? "" : new String(keyPem, StandardCharsets.US_ASCII);
    Matcher m = BLOCK.matcher(text);
    String type = null;
    byte[] der = null;
    while (m.find()) {
      if (m.group(1).endsWith("PRIVATE KEY")) {
        type = m.group(1);
        der = Base64.getMimeDecoder().decode(m.group(2));
        break;
      }
    }
    if (type == null) {
      throw new IllegalArgumentException("the private key: no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    if (!type.equals("PRIVATE KEY")) {
      throw new IllegalArgumentException("the private key is " + type + ", not unencrypted PKCS#8 (-----BEGIN PRIVATE KEY-----); "
          + "convert it: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem");
    }
    PublicKey publicKey = leaf.getPublicKey();
    PrivateKey privateKey;
    try {
      privateKey = KeyFactory.getInstance(publicKey.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the private key is not a " + publicKey.getAlgorithm()
          + " PKCS#8 key, as the client certificate " + leaf.getSubjectX500Principal() + " needs", e);
    }
    String algorithm = switch (publicKey.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> null; // left to the TLS handshake
    };
    if (algorithm == null) {
      return;
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      if (!verifier.verify(signature)) {
        throw new IllegalArgumentException("the private key does not belong to the client certificate "
            + leaf.getSubjectX500Principal());
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the private key does not belong to the client certificate "
          + leaf.getSubjectX500Principal() + ": " + e.getMessage(), e);
    }
  }
}
