package dev.graft.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

/**
 * The versions the SPI declares agree with the build: the Java constants with the pom's
 * {@code graft.spi.version} (which every plugin jar's manifest gets), {@link DjlVersion#REQUIRED}
 * with the DJL on the class path. Bumping one without the other fails here.
 */
class SpiManifestTest {

  @Test
  void spiConstantsMatchThePomProperty() {
    String pom = System.getProperty("graft.spi.version");
    assertEquals(SpiVersion.current(), SpiVersion.parse(pom),
        "SpiVersion.MAJOR/MINOR and <graft.spi.version> in the root pom must agree");
  }

  @Test
  void requiredDjlLineIsTheOneOnTheClassPath() {
    assertEquals(DjlVersion.REQUIRED, DjlVersion.parse(Engine.getDjlVersion()));
    assertEquals(DjlVersion.REQUIRED, DjlVersion.parse(System.getProperty("djl.version")),
        "DjlVersion.REQUIRED and <djl.version> in the root pom must agree");
  }

  @Test
  void versionsParseAndCompare() {
    assertEquals(new SpiVersion(1, 6), SpiVersion.parse(" 1.6 "));
    assertThrows(IllegalArgumentException.class, () -> SpiVersion.parse("1.6.0"));
    assertThrows(IllegalArgumentException.class, () -> SpiVersion.parse("one.six"));
    assertEquals(new DjlVersion(0, 36), DjlVersion.parse("0.36.0"));
    assertThrows(IllegalArgumentException.class, () -> DjlVersion.parse("0"));
    assertTrue(new DjlVersion(0, 36).isCompatibleWith(new DjlVersion(0, 36)));
    assertFalse(new DjlVersion(0, 35).isCompatibleWith(new DjlVersion(0, 36)));
    assertFalse(new DjlVersion(1, 36).isCompatibleWith(new DjlVersion(0, 36)));
    assertTrue(new SpiVersion(1, 5).isCompatibleWith(new SpiVersion(1, 6)));
    assertFalse(new SpiVersion(1, 7).isCompatibleWith(new SpiVersion(1, 6)));
  }
}
