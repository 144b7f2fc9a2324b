package dev.graft.client;

/**
 * Whether the OpenTelemetry API ({@code io.opentelemetry:opentelemetry-api}, an optional
 * dependency) is on the classpath. Checked once; this class itself refers to none of its types,
 * so it loads without it.
 */
final class Tracing {
  static final boolean AVAILABLE = present("io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator")
      && present("io.opentelemetry.context.Context");

  private Tracing() {}

  private static boolean present(String name) {
    try {
      Class.forName(name, false, Tracing.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
