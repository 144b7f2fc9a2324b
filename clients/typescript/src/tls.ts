import type { SecureClientSessionOptions } from "node:http2";

/**
 * TLS settings: `true` for the system's trusted roots, or PEM material of your own. Each value is
 * PEM content (a string or a Buffer, e.g. `readFileSync("ca.pem")`), not a file name.
 */
export interface TlsOptions {
  /** Trusted CA certificate(s), PEM: they replace the system's roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate chain for mutual TLS, PEM (leaf first). Needs `key`. */
  cert?: string | Buffer;
  /** The client certificate's private key, PEM (PKCS#8, PKCS#1 or SEC 1). Needs `cert`. */
  key?: string | Buffer;
  /** The name the server's certificate must carry, when it differs from the target host. */
  servername?: string;
}

const hasPem = (v: string | Buffer): boolean => v.toString().includes("-----BEGIN");

/**
 * The options of the HTTP/2 connection to `url` (from {@link baseUrl}): for `https:` the TLS
 * settings, checked so that a mistake fails here rather than as an obscure handshake error; for
 * `http:` none (and TLS material for an `http://` target is an error, not silently dropped).
 */
export function sessionOptions(url: string, tls: boolean | TlsOptions | undefined): SecureClientSessionOptions {
  const secure = url.startsWith("https:");
  if (typeof tls !== "object") {
    return {};
  }
  if (!secure) {
    throw new TypeError(`tls options were given but the target ${url} is plaintext: use host:port or an https:// URL`);
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError("tls.cert and tls.key go together: mutual TLS needs the certificate chain and its private key");
  }
  const options: SecureClientSessionOptions = {};
  if (tls.ca !== undefined) {
    const cas = Array.isArray(tls.ca) ? tls.ca : [tls.ca];
    if (cas.length === 0 || !cas.every(hasPem)) {
      throw new TypeError("tls.ca must be PEM certificate content (-----BEGIN CERTIFICATE-----), not a file name");
    }
    options.ca = tls.ca;
  }
  if (tls.cert !== undefined && tls.key !== undefined) {
    if (!hasPem(tls.cert) || !hasPem(tls.key)) {
      throw new TypeError("tls.cert and tls.key must be PEM content (-----BEGIN ...), not file names");
    }
    options.cert = tls.cert;
    options.key = tls.key;
  }
  if (tls.servername !== undefined) {
    options.servername = tls.servername;
  }
  return options;
}
