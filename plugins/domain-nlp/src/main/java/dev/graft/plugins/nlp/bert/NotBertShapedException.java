package dev.graft.plugins.nlp.bert;

/** Says why an ONNX graph cannot be rebuilt as a BERT encoder; the message is for people. */
public final class NotBertShapedException extends Exception {
  private static final long serialVersionUID = 1L;

  public NotBertShapedException(String message) {
    super(message);
  }
}
