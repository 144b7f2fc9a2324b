package dev.graft.server.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class JsonLogFormatterTest {
  private final JsonLogFormatter formatter = new JsonLogFormatter();

  @Test
  void aLineInsideASpanCarriesItsIdsAndIsOneJsonObject() {
    SpanContext context = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
        TraceFlags.getSampled(), TraceState.getDefault());
    LogRecord record = new LogRecord(Level.INFO, "call={0} code=OK \"quoted\"\nsecond line");
    record.setLoggerName("graft.access");
    record.setParameters(new Object[] {"graft.v1.InferenceService/Extract"});
    String line;
    Scope scope = Span.wrap(context).makeCurrent();
    try {
      line = formatter.format(record);
    } finally {
      scope.close();
    }
    assertTrue(line.endsWith(System.lineSeparator()));
    assertEquals(1, line.strip().lines().count(), "newlines in the message are escaped");
    JsonObject json = JsonParser.parseString(line).getAsJsonObject();
    assertEquals("INFO", json.get("level").getAsString());
    assertEquals("graft.access", json.get("logger").getAsString());
    assertEquals("call=graft.v1.InferenceService/Extract code=OK \"quoted\"\nsecond line",
        json.get("message").getAsString());
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", json.get("trace_id").getAsString());
    assertEquals("00f067aa0ba902b7", json.get("span_id").getAsString());
    assertTrue(json.get("time").getAsString().endsWith("Z"));
  }

  @Test
  void outsideASpanThereAreNoIdsAndErrorsCarryTheirStackTrace() {
    LogRecord record = new LogRecord(Level.SEVERE, "job failed");
    record.setLoggerName("x");
    record.setThrown(new IllegalStateException("boom"));
    JsonObject json = JsonParser.parseString(formatter.format(record)).getAsJsonObject();
    assertEquals("ERROR", json.get("level").getAsString());
    assertFalse(json.has("trace_id"));
    assertTrue(json.get("error").getAsString().contains("IllegalStateException: boom"));
  }
}
