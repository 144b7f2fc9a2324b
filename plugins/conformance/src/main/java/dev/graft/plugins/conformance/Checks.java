package dev.graft.plugins.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import dev.graft.spi.Plugin;
import dev.graft.spi.SpiVersion;
import java.util.ServiceLoader;
import org.junit.jupiter.api.function.Executable;

/** Assertions both suites share. */
final class Checks {
  private Checks() {}

  /** Registered for {@link ServiceLoader} under {@code service}, with a stable id and the SPI it builds against. */
  static <T extends Plugin> void isAService(Class<T> service, T plugin) {
    String id = plugin.id();
    assertTrue(id.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*"),
        "an id is lower-case with dashes: '" + id + "'");
    assertTrue(ServiceLoader.load(service, plugin.getClass().getClassLoader()).stream()
            .anyMatch(p -> p.type() == plugin.getClass()),
        plugin.getClass().getName() + " is listed in META-INF/services/" + service.getName()
            + " and has a public no-argument constructor");
    SpiVersion spi = plugin.spiVersion();
    assertTrue(spi.isCompatibleWith(SpiVersion.current()),
        "built against SPI " + spi + ", tested with " + SpiVersion.current());
    assertNotNull(plugin.version(), "version()");
  }

  /**
   * {@code call} throws INVALID_ARGUMENT naming {@code field} or a part of it
   * ({@code inputs[1].series.values} for {@code inputs[1]}); returns the exception.
   */
  static GraftException invalidArgument(String field, Executable call) {
    GraftException e = graftException(call, "INVALID_ARGUMENT naming " + field);
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), () -> describe(e));
    String named = e.field();
    assertTrue(named.equals(field) || named.startsWith(field + ".") || named.startsWith(field + "["),
        () -> "the error names the field at fault, " + field + ": " + describe(e));
    assertTrue(e.reason().matches("[A-Z][A-Z0-9]*(_[A-Z0-9]+)*"), () -> describe(e));
    return e;
  }

  /** {@code call} throws a {@link GraftException} (and nothing else); returns it. */
  static GraftException graftException(Executable call, String expected) {
    try {
      call.execute();
    } catch (GraftException e) {
      return e;
    } catch (Throwable e) {
      throw new AssertionError("expected a GraftException (" + expected + "), got " + e, e);
    }
    throw new AssertionError("expected a GraftException (" + expected + "), but the call returned");
  }

  static String describe(GraftException e) {
    return e.kind() + " " + e.reason() + " field='" + e.field() + "': " + e.getMessage();
  }

  /** The largest absolute difference between two equally shaped matrices. */
  static float maxDifference(float[][] a, float[][] b) {
    assertEquals(a.length, b.length, "rows");
    float worst = 0;
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i].length, b[i].length, "width of row " + i);
      for (int j = 0; j < a[i].length; j++) {
        worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return worst;
  }
}
