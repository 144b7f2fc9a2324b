package dev.graft.spi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a part of the SPI that may still change or go away in a minor SPI version: a plugin that
 * uses it may need changes to load on a later server. Everything not marked keeps binary and
 * source compatibility within a major version, which the build checks against the previous SPI
 * release (japicmp in {@code plugins/spi}; annotated elements are left out of that check).
 *
 * @since SPI 1.6
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({
  ElementType.TYPE,
  ElementType.METHOD,
  ElementType.CONSTRUCTOR,
  ElementType.FIELD,
  ElementType.PACKAGE
})
public @interface Experimental {

  /** What may change, and why ("moves to the plugin toolkit"). */
  String value() default "";
}
