package dev.graft.server.core.store.s3;

import dev.graft.server.core.store.blob.BlobErrors;
import dev.graft.server.core.store.blob.BlobInfo;
import dev.graft.server.core.store.blob.BlobStore;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link BlobStore} in an S3 bucket under a prefix ({@code blob-store=s3://bucket/prefix}): AWS S3
 * or any S3-compatible server (MinIO, Ceph RGW, ...).
 *
 * <p><b>Connection</b> ({@link #fromEnvironment}): the standard AWS environment. Endpoint: {@code
 * AWS_ENDPOINT_URL_S3}, else {@code AWS_ENDPOINT_URL}, else AWS S3 itself; with an endpoint,
 * path-style addressing ({@code http://host:9000/bucket/key}, what MinIO expects). Credentials:
 * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} (and {@code AWS_SESSION_TOKEN}), else the
 * SDK's default chain (profile files, web identity as on EKS, container and instance roles).
 * Region: {@code AWS_REGION}, else {@code us-east-1}. Requests and responses carry SDK checksums
 * only where S3 requires them (many S3-compatible servers reject the newer trailing checksums);
 * integrity is end to end anyway: every blob is verified against its SHA-256 when downloaded.
 *
 * <p><b>Failing fast</b>: connect timeout 3 s, read timeout 30 s, at most 3 attempts per request
 * (the SDK's standard retry with jittered backoff); then a connection failure, timeout or 5xx answer
 * is UNAVAILABLE {@code BLOB_STORE_UNAVAILABLE} naming the endpoint. A missing key is NOT_FOUND
 * {@code BLOB_NOT_FOUND}, a missing bucket FAILED_PRECONDITION {@code BUCKET_NOT_FOUND}, refused
 * credentials PERMISSION_DENIED {@code BLOB_STORE_ACCESS_DENIED}.
 *
 * <p><b>Uploads</b>: files up to {@link Options#multipartThreshold} (64 MiB) go in one streamed
 * PUT; larger ones as a multipart upload of {@link Options#partSize} parts (16 MiB, grown so a file
 * needs at most 10,000 parts), each streamed from its slice of the file. Why: a single PUT is one
 * round trip for the many small files of a model, while for large files a failed part is retried
 * alone instead of the whole file, and S3 refuses single PUTs above 5 GiB. A failed multipart upload
 * is aborted; one cut short by a crash is not, so give the bucket a lifecycle rule that aborts
 * incomplete multipart uploads after a day (docs/deploy.md). Downloads stream into the target file.
 *
 * <p>Thread-safe (one {@link S3Client} shared by all calls).
 */
public final class S3BlobStore implements BlobStore {
  private static final long MAX_SINGLE_COPY = 5L << 30;
  private static final int MAX_PARTS = 10_000;
  private static final long MIN_PART = 5L << 20;
  private static final int BUFFER = 1 << 16;

  private final S3Location location;
  private final S3Client s3;
  private final String where;
  private final Options options;

  /**
   * Tuning, with {@link #DEFAULTS}.
   *
   * @param connectTimeout the TCP connect timeout
   * @param readTimeout how long a read may wait for bytes from the server
   * @param maxAttempts attempts per request, the first included (so 3 = 2 retries)
   * @param multipartThreshold files larger than this upload in parts
   * @param partSize the size of each part but the last (at least 5 MiB, S3's minimum)
   */
  public record Options(Duration connectTimeout, Duration readTimeout, int maxAttempts,
      long multipartThreshold, long partSize) {
    public static final Options DEFAULTS =
        new Options(Duration.ofSeconds(3), Duration.ofSeconds(30), 3, 64L << 20, 16L << 20);

    public Options {
      if (maxAttempts < 1 || partSize < MIN_PART || multipartThreshold < partSize) {
        throw new IllegalArgumentException("bad S3 options: maxAttempts " + maxAttempts + ", partSize "
            + partSize + " (at least 5 MiB), multipartThreshold " + multipartThreshold + " (at least partSize)");
      }
    }

    public Options withMultipart(long threshold, long part) {
      return new Options(connectTimeout, readTimeout, maxAttempts, threshold, part);
    }

    public Options withTimeouts(Duration connect, Duration read, int attempts) {
      return new Options(connect, read, attempts, multipartThreshold, partSize);
    }
  }

  /**
   * A store at {@code location} with an explicit endpoint and credentials (tests, tools).
   *
   * @param endpoint e.g. {@code http://127.0.0.1:9000}; null for AWS S3 (then virtual-host style)
   * @param accessKey the access key id; with {@code secretKey} null, the SDK's default chain
   * @param region e.g. {@code us-east-1}
   */
  public S3BlobStore(S3Location location, URI endpoint, String accessKey, String secretKey, String region,
      Options options) {
    this(location, endpoint, accessKey == null || secretKey == null
        ? DefaultCredentialsProvider.builder().build()
        : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)), region, options);
  }

  private S3BlobStore(S3Location location, URI endpoint, AwsCredentialsProvider credentials, String region,
      Options options) {
    this.location = Objects.requireNonNull(location, "location");
    this.options = Objects.requireNonNull(options, "options");
    S3ClientBuilder b = S3Client.builder()
        .httpClient(UrlConnectionHttpClient.builder()
            .connectionTimeout(options.connectTimeout())
            .socketTimeout(options.readTimeout())
            .build())
        .region(Region.of(region))
        .credentialsProvider(credentials)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(options.maxAttempts())));
    if (endpoint != null) {
      b.endpointOverride(endpoint).forcePathStyle(true);
    }
    this.s3 = b.build();
    this.where = location + " at " + (endpoint != null ? endpoint.toString() : "AWS S3 (" + region + ")");
  }

  /** A store at {@code location} configured by the process environment (see the class comment). */
  public static S3BlobStore fromEnvironment(S3Location location) {
    return fromEnvironment(location, System.getenv(), Options.DEFAULTS);
  }

  /** As {@link #fromEnvironment(S3Location)}, reading {@code env} instead of the process's. */
  public static S3BlobStore fromEnvironment(S3Location location, Map<String, String> env, Options options) {
    String endpoint = firstSet(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    URI uri = null;
    if (endpoint != null) {
      try {
        uri = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        throw GraftException.invalidArgument("AWS_ENDPOINT_URL", BlobErrors.INVALID_BLOB_STORE,
            "not a URL: '" + endpoint + "'");
      }
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw GraftException.invalidArgument("AWS_ENDPOINT_URL", BlobErrors.INVALID_BLOB_STORE,
            "the endpoint needs a scheme and a host, e.g. http://minio:9000: '" + endpoint + "'");
      }
    }
    String id = firstSet(env, "AWS_ACCESS_KEY_ID");
    String secret = firstSet(env, "AWS_SECRET_ACCESS_KEY");
    String token = firstSet(env, "AWS_SESSION_TOKEN");
    AwsCredentialsProvider credentials;
    if (id != null && secret != null) {
      credentials = StaticCredentialsProvider.create(token != null
          ? AwsSessionCredentials.create(id, secret, token)
          : AwsBasicCredentials.create(id, secret));
    } else {
      credentials = DefaultCredentialsProvider.builder().build();
    }
    String region = Optional.ofNullable(firstSet(env, "AWS_REGION")).orElse("us-east-1");
    return new S3BlobStore(location, uri, credentials, region, options);
  }

  private static String firstSet(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = env.get(n);
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }

  /** The bucket and prefix. */
  public S3Location location() {
    return location;
  }

  @Override
  public String describe() {
    return where;
  }

  // ---- BlobStore -----------------------------------------------------------------------------

  @Override
  public void put(String key, Path file) {
    long size = localSize(file);
    String objectKey = location.objectKey(checkKey(key));
    if (size <= options.multipartThreshold()) {
      call("upload " + key, key, () -> s3.putObject(r -> r.bucket(location.bucket()).key(objectKey)
          .contentLength(size), RequestBody.fromContentProvider(slice(file, 0, size), size,
          "application/octet-stream")));
    } else {
      multipart(key, objectKey, file, size);
    }
  }

  @Override
  public boolean putIfAbsent(String key, Path file) {
    Optional<BlobInfo> existing = stat(key);
    if (existing.isEmpty()) {
      put(key, file);
      return true;
    }
    if (existing.get().lastModified().isBefore(Instant.now().minus(REFRESH_AGE))) {
      refresh(key, file, existing.get().size());
    }
    return false;
  }

  /** Renews an object's last-modified time: a server-side copy onto itself, or a re-upload above 5 GiB. */
  void refresh(String key, Path file, long size) {
    if (size >= MAX_SINGLE_COPY) {
      put(key, file);
      return;
    }
    String objectKey = location.objectKey(key);
    call("refresh " + key, key, () -> s3.copyObject(r -> r
        .sourceBucket(location.bucket()).sourceKey(objectKey)
        .destinationBucket(location.bucket()).destinationKey(objectKey)
        .metadataDirective(MetadataDirective.REPLACE)));
  }

  @Override
  public void get(String key, Path target) {
    String objectKey = location.objectKey(checkKey(key));
    call("download " + key, key, () -> {
      try (InputStream in = s3.getObject(r -> r.bucket(location.bucket()).key(objectKey));
           OutputStream out = Files.newOutputStream(target)) {
        byte[] buffer = new byte[BUFFER];
        while (true) {
          int n;
          try {
            n = in.read(buffer);
          } catch (IOException e) {
            throw SdkClientException.create("download of " + key + " cut short: " + e, e);
          }
          if (n < 0) {
            break;
          }
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        throw BlobErrors.io("cannot write " + target, e);
      }
      return null;
    });
  }

  @Override
  public Optional<BlobInfo> stat(String key) {
    String objectKey = location.objectKey(checkKey(key));
    try {
      HeadObjectResponse head = call("stat " + key, key,
          () -> s3.headObject(r -> r.bucket(location.bucket()).key(objectKey)));
      return Optional.of(new BlobInfo(key, head.contentLength(), head.lastModified()));
    } catch (GraftException e) {
      if (e.reason().equals(BlobErrors.BLOB_NOT_FOUND)) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public void delete(String key) {
    String objectKey = location.objectKey(checkKey(key));
    call("delete " + key, key, () -> s3.deleteObject(r -> r.bucket(location.bucket()).key(objectKey)));
  }

  @Override
  public void list(String prefix, Consumer<BlobInfo> each) {
    String objectPrefix = prefix.isEmpty()
        ? (location.prefix().isEmpty() ? "" : location.prefix() + "/")
        : location.objectKey(prefix);
    call("list " + prefix, prefix, () -> {
      for (var page : s3.listObjectsV2Paginator(r -> r.bucket(location.bucket()).prefix(objectPrefix))) {
        for (S3Object o : page.contents()) {
          each.accept(new BlobInfo(location.storeKey(o.key()), o.size(), o.lastModified()));
        }
      }
      return null;
    });
  }

  @Override
  public void check() {
    call("check", "", () -> s3.headBucket(r -> r.bucket(location.bucket())));
    // a 403 on the bucket is reported by headBucket; listing checks read permission on the prefix
    call("check", "", () -> s3.listObjectsV2(r -> r.bucket(location.bucket())
        .prefix(location.prefix().isEmpty() ? "" : location.prefix() + "/").maxKeys(1)));
  }

  @Override
  public void close() {
    s3.close();
  }

  @Override
  public String toString() {
    return "S3BlobStore[" + where + "]";
  }

  // ---- multipart -----------------------------------------------------------------------------

  private void multipart(String key, String objectKey, Path file, long size) {
    long part = Math.max(options.partSize(), (size + MAX_PARTS - 1) / MAX_PARTS);
    String uploadId = call("upload " + key, key, () -> s3.createMultipartUpload(r -> r
        .bucket(location.bucket()).key(objectKey).contentType("application/octet-stream"))).uploadId();
    try {
      List<CompletedPart> parts = new ArrayList<>();
      int number = 1;
      for (long offset = 0; offset < size; offset += part, number++) {
        long length = Math.min(part, size - offset);
        int n = number;
        long at = offset;
        String etag = call("upload " + key + " part " + n, key, () -> s3.uploadPart(r -> r
            .bucket(location.bucket()).key(objectKey).uploadId(uploadId).partNumber(n).contentLength(length),
            RequestBody.fromContentProvider(slice(file, at, length), length, "application/octet-stream")))
            .eTag();
        parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
      }
      call("upload " + key, key, () -> s3.completeMultipartUpload(r -> r.bucket(location.bucket())
          .key(objectKey).uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
    } catch (RuntimeException e) {
      try {
        s3.abortMultipartUpload(r -> r.bucket(location.bucket()).key(objectKey).uploadId(uploadId));
      } catch (SdkException abort) {
        e.addSuppressed(abort);
      }
      throw e;
    }
  }

  /** A re-openable stream of {@code length} bytes of {@code file} from {@code offset} (the SDK may retry). */
  private static ContentStreamProvider slice(Path file, long offset, long length) {
    return () -> {
      try {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        ch.position(offset);
        return new Limited(Channels.newInputStream(ch), length);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    };
  }

  private static final class Limited extends FilterInputStream {
    private long left;

    Limited(InputStream in, long left) {
      super(in);
      this.left = left;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = super.skip(Math.min(n, left));
      left -= s;
      return s;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(super.available(), left);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  // ---- errors --------------------------------------------------------------------------------

  private static String checkKey(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/")) {
      throw new IllegalArgumentException("a blob key must be non-empty and relative: '" + key + "'");
    }
    return key;
  }

  private static long localSize(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw BlobErrors.io("cannot read " + file, e);
    }
  }

  /** Runs one S3 call, turning the SDK's failures into the blob layer's. */
  private <T> T call(String what, String key, Supplier<T> op) {
    try {
      return op.get();
    } catch (NoSuchKeyException e) {
      throw GraftException.notFound(BlobErrors.BLOB_NOT_FOUND,
          "no blob '" + key + "' in " + where + " (" + what + ")");
    } catch (NoSuchBucketException e) {
      throw bucketMissing(what);
    } catch (S3Exception e) {
      throw translate(what, key, e);
    } catch (UncheckedIOException e) {
      throw BlobErrors.io(what, e.getCause());
    } catch (SdkClientException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("Unable to load credentials")) {
        throw GraftException.permissionDenied(BlobErrors.BLOB_STORE_ACCESS_DENIED,
            "no credentials for " + where + ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a "
                + "profile, web identity or instance role) — " + message);
      }
      throw new GraftException(ErrorKind.UNAVAILABLE, BlobErrors.BLOB_STORE_UNAVAILABLE, "",
          "the blob store " + where + " cannot be reached (" + what + ", " + options.maxAttempts()
              + " attempt(s)): " + rootMessage(e), e);
    }
  }

  private GraftException translate(String what, String key, S3Exception e) {
    String code = e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
        ? e.awsErrorDetails().errorCode() : "";
    int status = e.statusCode();
    if (code.equals("NoSuchBucket")) {
      return bucketMissing(what);
    }
    if (status == 404) {
      return GraftException.notFound(BlobErrors.BLOB_NOT_FOUND,
          "no blob '" + key + "' in " + where + " (" + what + ")");
    }
    if (status == 401 || status == 403) {
      return GraftException.permissionDenied(BlobErrors.BLOB_STORE_ACCESS_DENIED,
          "the blob store " + where + " refused " + what + " (" + status + " " + code
              + "): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the bucket policy");
    }
    if (status >= 500 || status == 429) {
      return new GraftException(ErrorKind.UNAVAILABLE, BlobErrors.BLOB_STORE_UNAVAILABLE, "",
          "the blob store " + where + " failed " + what + " (" + status + " " + code + ", "
              + options.maxAttempts() + " attempt(s))", e);
    }
    return GraftException.internal(BlobErrors.BLOB_STORE_ERROR,
        "the blob store " + where + " refused " + what + ": " + status + " " + code + " " + e.getMessage(), e);
  }

  private GraftException bucketMissing(String what) {
    return GraftException.failedPrecondition(BlobErrors.BUCKET_NOT_FOUND,
        "the bucket '" + location.bucket() + "' does not exist in " + where + " (" + what
            + "): create it (e.g. mc mb, aws s3 mb) or fix blob-store=");
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == t ? String.valueOf(t.getMessage()) : root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
