package dev.graft.server.telemetry;

import com.google.gson.JsonObject;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * {@code log-format=json}: one JSON object per line — {@code time} (ISO-8601 UTC), {@code level},
 * {@code logger}, {@code thread}, {@code message}, {@code trace_id} and {@code span_id} when the
 * line was written inside a traced call or job, and {@code error} (the stack trace) when there is
 * one. The access log ({@code graft.access}) and the audit log ({@code graft.audit}) are lines
 * like any other, so a log pipeline joins them to traces by {@code trace_id}.
 */
public final class JsonLogFormatter extends Formatter {
  @Override
  public String format(LogRecord record) {
    JsonObject line = new JsonObject();
    line.addProperty("time", Instant.ofEpochMilli(record.getMillis()).toString());
    line.addProperty("level", level(record.getLevel()));
    line.addProperty("logger", record.getLoggerName());
    line.addProperty("thread", Thread.currentThread().getName());
    line.addProperty("message", formatMessage(record));
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      line.addProperty("trace_id", span.getTraceId());
      line.addProperty("span_id", span.getSpanId());
    }
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      line.addProperty("error", trace.toString());
    }
    return line + System.lineSeparator();
  }

  /** JUL levels under the names log pipelines know. */
  private static String level(Level level) {
    int v = level.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERROR";
    } else if (v >= Level.WARNING.intValue()) {
      return "WARN";
    } else if (v >= Level.INFO.intValue()) {
      return "INFO";
    } else if (v >= Level.FINE.intValue()) {
      return "DEBUG";
    }
    return "TRACE";
  }
}
