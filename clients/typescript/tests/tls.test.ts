import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GraftClient, GraftError, ServerService, StatusCode, sessionOptions } from "../src/index.js";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const skip = hasOpenssl() ? false : "needs the openssl command";

/** A CA, a server certificate for localhost and a client certificate (CN=client-1); PKCS#8 keys. */
interface Pki {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  otherCa: Buffer;
}
let dir = "";
let pki: Pki;

before(() => {
  if (skip) {
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "graft-tls-"));
  const ssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  const ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  for (const ca of ["ca", "other-ca"]) {
    ssl("genpkey", ...ec, "-out", `${ca}.key`);
    ssl("req", "-x509", "-new", "-key", `${ca}.key`, "-out", `${ca}.pem`, "-days", "1", "-subj", `/CN=${ca}`);
  }
  for (const [name, subject, ext] of [
    ["server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ["client", "/CN=client-1", "extendedKeyUsage=clientAuth"],
  ] as const) {
    ssl("genpkey", ...ec, "-out", `${name}.key`);
    ssl("req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", `${name}.pem`, "-days", "1", "-extfile", `${name}.ext`);
  }
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  pki = {
    ca: read("ca.pem"), serverCert: read("server.pem"), serverKey: read("server.key"),
    clientCert: read("client.pem"), clientKey: read("client.key"), otherCa: read("other-ca.pem"),
  };
});

after(() => {
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sessionOptions passes the CA, the client certificate and the server name for https", { skip }, () => {
  const o = sessionOptions("https://localhost:1", { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: "graft" });
  assert.equal(o.ca, pki.ca);
  assert.equal(o.cert, pki.clientCert);
  assert.equal(o.key, pki.clientKey);
  assert.equal(o.servername, "graft");
  assert.deepEqual(sessionOptions("https://localhost:1", true), {});
  assert.deepEqual(sessionOptions("http://localhost:1", undefined), {});
});

test("half a client certificate, file names instead of PEM, and TLS material for http:// are refused", { skip }, () => {
  assert.throws(() => new GraftClient({ target: "localhost:1", tls: { cert: pki.clientCert } }), /tls\.cert and tls\.key go together/);
  assert.throws(() => new GraftClient({ target: "localhost:1", tls: { key: pki.clientKey } }), /go together/);
  assert.throws(() => new GraftClient({ target: "localhost:1", tls: { ca: "ca.pem" } }), /PEM certificate content .* not a file name/);
  assert.throws(() => new GraftClient({ target: "localhost:1", tls: { cert: "c.pem", key: "k.pem" } }), /must be PEM content/);
  assert.throws(() => new GraftClient({ target: "http://localhost:1", tls: { ca: pki.ca } }), /is plaintext/);
  new GraftClient({ target: "localhost:1", tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } }).close();
});

test("mutual TLS: the client certificate reaches a server that requires one, with the bearer token", { skip }, async () => {
  const seen: Array<{ cn: string | undefined; authorization: string | null }> = [];
  const handler = connectNodeAdapter({
    routes: (r) => {
      r.service(ServerService, {
        getServerInfo(_req, ctx) {
          seen[seen.length - 1]!.authorization = ctx.requestHeader.get("authorization");
          return { version: "mtls" };
        },
      });
    },
  });
  const server = createSecureServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true, allowHTTP1: false },
    (req: Http2ServerRequest, res: Http2ServerResponse) => {
      const socket = req.stream.session?.socket as TLSSocket | undefined;
      const cn = socket?.getPeerCertificate().subject?.CN;
      seen.push({ cn: Array.isArray(cn) ? cn.join(",") : cn, authorization: null });
      handler(req, res);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const graft = new GraftClient({
      target: `localhost:${port}`, token: "tok", retry: false, timeoutMs: 10_000,
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
    });
    try {
      assert.equal((await graft.serverInfo()).version, "mtls");
    } finally {
      graft.close();
    }
    assert.deepEqual(seen, [{ cn: "client-1", authorization: "Bearer tok" }]);

    for (const [what, tls] of [
      ["no client certificate", { ca: pki.ca }],
      ["the server's CA not trusted", { ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey }],
    ] as const) {
      const refused = new GraftClient({ target: `localhost:${port}`, retry: false, timeoutMs: 10_000, tls });
      try {
        await assert.rejects(refused.serverInfo(), (e: unknown) => {
          assert.ok(e instanceof GraftError, `${what}: ${String(e)}`);
          assert.equal(e.code, StatusCode.UNAVAILABLE, `${what}: ${e.message}`);
          assert.match(e.message, /^UNAVAILABLE: TLS handshake failed \((ERR_SSL_|SELF_SIGNED)/, what);
          return true;
        });
      } finally {
        refused.close();
      }
    }
    assert.equal(seen.length, 1, "no call may get through without the client certificate");
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
