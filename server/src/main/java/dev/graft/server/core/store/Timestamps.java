package dev.graft.server.core.store;

import dev.graft.server.core.Echo;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * Reads a timestamp cell as a number for ordering: a plain number, an ISO-8601 date, date-time
 * or offset date-time, or an English "Jan 1 2000" date. Stateless and thread-safe.
 */
final class Timestamps {
  private static final List<DateTimeFormatter> DATES = List.of(
      DateTimeFormatter.ISO_LOCAL_DATE,
      DateTimeFormatter.ofPattern("MMM d yyyy", Locale.ENGLISH),
      DateTimeFormatter.ofPattern("yyyy/M/d", Locale.ENGLISH));

  private Timestamps() {}

  /** Seconds since the epoch (UTC for local times), or the number itself. */
  static double parse(String text, long line, String column) {
    String t = text.strip();
    try {
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      // not a number
    }
    try {
      return OffsetDateTime.parse(t).toEpochSecond();
    } catch (DateTimeParseException e) {
      // next
    }
    try {
      return LocalDateTime.parse(t.replace(' ', 'T')).toEpochSecond(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // next
    }
    try {
      return Instant.parse(t).getEpochSecond();
    } catch (DateTimeParseException e) {
      // next
    }
    for (DateTimeFormatter f : DATES) {
      try {
        return LocalDate.parse(t, f).toEpochDay() * 86400.0;
      } catch (DateTimeParseException e) {
        // next
      }
    }
    throw RecordErrors.at(line, column, "\"" + Echo.cut(column) + "\" is not a timestamp: " + Echo.quote(t)
        + " (numbers, ISO-8601 dates and date-times, or dates like 'Jan 1 2000')");
  }
}
