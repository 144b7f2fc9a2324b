package dev.graft.server.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.util.function.Supplier;

/** Running work inside a span. */
public final class Spans {
  private Spans() {}

  /**
   * Runs {@code work} with {@code span} current, records what it throws on the span, and ends the
   * span whatever happens.
   */
  public static <T> T within(Span span, Supplier<T> work) {
    Scope scope = span.makeCurrent();
    try {
      return work.get();
    } catch (RuntimeException | Error e) {
      span.recordException(e);
      throw e;
    } finally {
      scope.close();
      span.end();
    }
  }
}
