package dev.graft.server.core.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits RFC 4180 text into records: fields separated by a delimiter, optionally quoted; a quote
 * inside a quoted field is doubled; quoted fields may span lines (kept as "\n"). Not thread-safe.
 */
final class CsvRecordReader {
  /** The most fields of one record. */
  static final int MAX_FIELDS = 1_000_000;
  /** The most characters of one record (quoted fields may span lines). */
  static final long MAX_RECORD_CHARS = LineReader.MAX_LINE_BYTES;

  private final LineReader lines;
  private final char delimiter;
  private long startLine;

  CsvRecordReader(LineReader lines, char delimiter) {
    this.lines = lines;
    this.delimiter = delimiter;
  }

  /** The line on which the record last returned starts. */
  long line() {
    return startLine;
  }

  /**
   * The next record's fields, or null at the end.
   *
   * @throws dev.graft.spi.GraftException INVALID_ARGUMENT naming the line for an unterminated quote,
   *     a stray quote, more than {@value #MAX_FIELDS} fields or more than 64 Mi characters
   */
  List<String> next() throws IOException {
    String line = lines.next();
    if (line == null) {
      return null;
    }
    startLine = lines.number();
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    long recordChars = line.length();
    int i = 0;
    while (true) {
      // at the start of a field
      if (i < line.length() && line.charAt(i) == '"') {
        long quoteLine = lines.number();
        i++;
        while (true) {
          if (i == line.length()) {
            line = lines.next();
            if (line == null) {
              throw RecordErrors.at(quoteLine, "field " + (fields.size() + 1) + ": the quoted field is never closed");
            }
            field.append('\n');
            recordChars += line.length() + 1;
            if (recordChars > MAX_RECORD_CHARS) {
              throw RecordErrors.at(startLine, "the record is longer than " + MAX_RECORD_CHARS
                  + " characters (a quoted field that is never closed?)");
            }
            i = 0;
            continue;
          }
          char c = line.charAt(i++);
          if (c != '"') {
            field.append(c);
          } else if (i < line.length() && line.charAt(i) == '"') {
            field.append('"');
            i++;
          } else {
            break; // closing quote
          }
        }
        if (i < line.length() && line.charAt(i) != delimiter) {
          throw RecordErrors.at(lines.number(),
              "field " + (fields.size() + 1) + ": '" + line.charAt(i) + "' after a closing quote; expected '"
                  + delimiter + "' or the end of the line");
        }
      } else {
        while (i < line.length() && line.charAt(i) != delimiter) {
          char c = line.charAt(i++);
          if (c == '"') {
            throw RecordErrors.at(lines.number(),
                "field " + (fields.size() + 1) + ": a quote inside an unquoted field; quote the field and double"
                    + " the quote");
          }
          field.append(c);
        }
      }
      if (fields.size() >= MAX_FIELDS) {
        throw RecordErrors.at(startLine, "more than " + MAX_FIELDS + " fields");
      }
      fields.add(field.toString());
      field.setLength(0);
      if (i == line.length()) {
        return fields;
      }
      i++; // the delimiter
    }
  }
}
