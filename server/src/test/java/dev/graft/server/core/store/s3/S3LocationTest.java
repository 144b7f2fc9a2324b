package dev.graft.server.core.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import org.junit.jupiter.api.Test;

class S3LocationTest {
  @Test
  void parsesBucketAndOptionalPrefix() {
    assertEquals(new S3Location("models", ""), S3Location.parse("s3://models"));
    assertEquals(new S3Location("models", ""), S3Location.parse("s3://models/"));
    assertEquals(new S3Location("models", "graft/prod"), S3Location.parse("s3://models/graft/prod/"));
    assertEquals("graft/prod/blobs/x", S3Location.parse("s3://models/graft/prod").objectKey("blobs/x"));
    assertEquals("blobs/x", S3Location.parse("s3://models").objectKey("blobs/x"));
    assertEquals("s3://models/graft", S3Location.parse("s3://models/graft").toString());
  }

  @Test
  void refusesOtherSchemesAndBadNames() {
    for (String bad : new String[] {"gs://models", "file:///tmp/x", "models", "s3://", "s3://Upper",
        "s3://a", "s3://models//x", "https://s3.amazonaws.com/models", ""}) {
      var e = assertThrows(GraftException.class, () -> S3Location.parse(bad), bad);
      assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), bad);
      assertEquals("INVALID_BLOB_STORE", e.reason(), bad);
      assertEquals("blob-store", e.field(), bad);
    }
  }
}
