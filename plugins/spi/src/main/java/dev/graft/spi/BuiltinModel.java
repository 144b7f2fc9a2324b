package dev.graft.spi;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * A base model a domain ships with, registered in the store at the server's first start.
 *
 * @param name the model name ("minilm-l6")
 * @param format the stored format ("onnx")
 * @param engine the DJL engine that runs it ("OnnxRuntime")
 * @param files the files to copy into the model's folder
 * @param properties manifest properties, handed back in {@link BaseModel#properties()}
 * @param maxTokens for text models, the longest input in tokens; 0 otherwise
 */
public record BuiltinModel(
    String name,
    String format,
    String engine,
    List<File> files,
    Map<String, String> properties,
    int maxTokens) {

  public BuiltinModel {
    files = List.copyOf(files);
    properties = Map.copyOf(properties);
  }

  /** A file of a built-in model: its name in the model folder and how to read it. */
  public record File(String name, Opener opener) {}

  /** Opens a fresh stream over a file's bytes; the caller closes it. */
  @FunctionalInterface
  public interface Opener {
    InputStream open() throws IOException;
  }
}
