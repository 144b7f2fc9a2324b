package dev.graft.plugins.nlp;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * ONNX Runtime session options for serving. ONNX Runtime's intra-op threads spin after each run by
 * default, waiting for the next one; between requests of a server that spin is CPU taken from the
 * threads that receive, batch and answer calls (measured with one client: 8 of 10 CPU seconds
 * went to spinning engine threads, and a call took 2.5× the bare engine's time). Here threads
 * sleep when idle.
 */
final class OrtServingOptions {
  /** The session option that lets intra-op threads spin between runs. */
  static final String ALLOW_SPINNING = "session.intra_op.allow_spinning";

  private OrtServingOptions() {}

  /** New options (the caller closes them once the session is created). */
  static OrtSession.SessionOptions create() throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.addConfigEntry(ALLOW_SPINNING, "0");
      return options;
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }
}
