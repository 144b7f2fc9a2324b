"""A real PostgreSQL and a real MinIO for the scale-out test's shared-store pass (deploy/test/run).

PostgreSQL: Debian's binaries (/usr/lib/postgresql/<v>/bin), initdb with a password file and
scram-sha-256 authentication, on a free loopback port; PostgreSQL refuses to run as root, so under
root initdb and postgres run as the postgres user (runuser), with the data folder owned by it (as
server/src/test/java/dev/graft/server/PostgresServer.java does). MinIO: the real server on a free
loopback port with random root credentials (as MinioServer.java does); its bucket is created with
one signed S3 request (AWS Signature Version 4, standard library only).

Both are stopped by stop(); their data lives under the folder given to start().
"""
import datetime
import glob
import hashlib
import hmac
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

USER = "graft"
DATABASE = "graft"
BUCKET = "graft"
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_postgres():
    """The newest /usr/lib/postgresql/<v>/bin with initdb and postgres, or None."""
    found = [b for b in glob.glob("/usr/lib/postgresql/*/bin")
             if os.access(os.path.join(b, "initdb"), os.X_OK) and os.access(os.path.join(b, "postgres"), os.X_OK)]
    if not found:
        return None
    return max(found, key=lambda b: [int(p) if p.isdigit() else 0 for p in b.split("/")[-2].split(".")])


def find_minio():
    """$GRAFT_MINIO, else minio on the PATH, else $(go env GOPATH)/bin/minio, else ~/go/bin/minio; or None."""
    explicit = os.environ.get("GRAFT_MINIO", "")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    on_path = shutil.which("minio")
    if on_path:
        return on_path
    candidates = []
    gopath = os.environ.get("GOPATH", "")
    if not gopath and shutil.which("go"):
        try:
            gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            gopath = ""
    candidates += [os.path.join(d, "bin", "minio") for d in gopath.split(os.pathsep) if d]
    candidates.append(os.path.expanduser("~/go/bin/minio"))
    return next((c for c in candidates if os.access(c, os.X_OK)), None)


class Postgres:
    def __init__(self, bin_dir, home):
        self.bin = bin_dir
        self.home = home
        self.as_postgres = os.getuid() == 0
        self.password = secrets.token_hex(12)
        self.port = None
        self.proc = None
        self.log_path = os.path.join(home, "postgres.log")

    def command(self, *args):
        return (["runuser", "-u", "postgres", "--"] if self.as_postgres else []) + list(args)

    def run(self, *args, env=None):
        done = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=120, env=env)
        if done.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (" ".join(args), done.returncode, done.stdout, done.stderr))
        return done.stdout

    def start(self):
        os.makedirs(self.home, exist_ok=True)
        os.chmod(self.home, 0o755)
        if self.as_postgres:  # the postgres user must reach its folder: let it through ours above
            parent = os.path.dirname(os.path.abspath(self.home))
            while parent != "/":
                st = os.stat(parent)
                if st.st_uid == os.getuid() and not st.st_mode & 0o001:
                    os.chmod(parent, (st.st_mode & 0o7777) | 0o001)
                parent = os.path.dirname(parent)
        pwfile = os.path.join(self.home, "pwfile")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.as_postgres:
            shutil.chown(self.home, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        os.chmod(pwfile, 0o600)
        try:
            self.run(os.path.join(self.bin, "initdb"), "-D", os.path.join(self.home, "data"), "-U", USER,
                     "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync", "--locale=C")
        finally:
            os.remove(pwfile)
        self.port = free_port()
        self.proc = subprocess.Popen(
            self.command(os.path.join(self.bin, "postgres"), "-D", os.path.join(self.home, "data"),
                         "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                         "-c", "unix_socket_directories=" + self.home, "-c", "fsync=off",
                         "-c", "max_connections=200"),
            stdout=open(self.log_path, "a"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            ready = subprocess.run([os.path.join(self.bin, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                                    "-U", USER, "-d", "postgres", "-q"], timeout=10)
            if ready.returncode == 0:
                self.psql("CREATE DATABASE " + DATABASE, database="postgres")
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not become ready; its log:\n" + self.log()[-3000:])

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return "(no log)"

    def url(self):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, DATABASE)

    def psql(self, query, database=DATABASE):
        """Runs one statement with psql; the rows as lists of strings."""
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="5")
        done = subprocess.run([os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
                               "-d", database, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                               "-c", query], capture_output=True, text=True, timeout=30, env=env)
        if done.returncode != 0:
            raise RuntimeError("psql %r failed: %s" % (query, done.stderr.strip()))
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.run(os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.home, "data"), "-m", "immediate",
                     "-w", "stop")
        except (RuntimeError, subprocess.SubprocessError) as e:
            print("   (pg_ctl stop: %s)" % e)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Minio:
    def __init__(self, binary, home):
        self.binary = binary
        self.home = home
        self.access_key = "graft" + secrets.token_hex(6)
        self.secret_key = secrets.token_hex(20)
        self.port = None
        self.proc = None
        self.log_path = os.path.join(home, "minio.log")

    def start(self):
        os.makedirs(self.home, exist_ok=True)
        env = dict(os.environ, MINIO_ROOT_USER=self.access_key, MINIO_ROOT_PASSWORD=self.secret_key,
                   MINIO_BROWSER="off", MINIO_UPDATE="off", MINIO_CI_CD="on")
        for _ in range(3):  # a free port may be taken before MinIO binds it
            self.port = free_port()
            self.proc = subprocess.Popen(
                [self.binary, "server", os.path.join(self.home, "data"), "--address", "127.0.0.1:%d" % self.port,
                 "--console-address", "127.0.0.1:%d" % free_port(), "--quiet"],
                stdout=open(self.log_path, "a"), stderr=subprocess.STDOUT, env=env)
            if self.wait_live(60):
                self.request("PUT", "/" + BUCKET)
                return
            self.stop()
        raise RuntimeError("MinIO (%s) did not become ready; its log:\n%s" % (self.binary, self.log()[-3000:]))

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return "(no log)"

    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_live(self, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.endpoint() + "/minio/health/live", timeout=2) as r:
                    if r.status == 200:
                        return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        return False

    def request(self, method, path, body=b""):
        """One S3 request signed with AWS Signature Version 4 (path-style, no query); the response body."""
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        host = "127.0.0.1:%d" % self.port
        payload = hashlib.sha256(body).hexdigest()
        headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([method, path, "", "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)),
                               signed, payload])
        scope = "%s/%s/s3/aws4_request" % (day, REGION)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.secret_key).encode()
        for part in (day, REGION, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(self.endpoint() + path, data=body or None, method=method, headers={
            "x-amz-content-sha256": payload, "x-amz-date": amz_date,
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
                self.access_key, scope, signed, signature)})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError("MinIO %s %s: HTTP %d %s" % (method, path, e.code, e.read()[:500])) from None

    def environment(self):
        return {"AWS_ENDPOINT_URL": self.endpoint(), "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_REGION": REGION}

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Backends:
    """PostgreSQL and MinIO, started together under one folder."""

    def __init__(self, postgres_bin, minio_binary, home):
        self.postgres = Postgres(postgres_bin, os.path.join(home, "postgres"))
        self.minio = Minio(minio_binary, os.path.join(home, "minio"))

    def start(self):
        self.postgres.start()
        self.minio.start()
        return self

    def store_args(self, prefix):
        return ["--store", self.postgres.url(), "--blob-store", "s3://%s/%s" % (BUCKET, prefix)]

    def environment(self):
        return dict(self.minio.environment(), GRAFT_STORE_PASSWORD=self.postgres.password)

    def stop(self):
        try:
            self.minio.stop()
        finally:
            self.postgres.stop()
