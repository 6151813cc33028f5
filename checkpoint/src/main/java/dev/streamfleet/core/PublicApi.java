package dev.streamfleet.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks what an application may use: the processor SPI, the embedding API, the configuration and
 * the value types they carry. Marked types keep their meaning across releases of the same major
 * version. Everything else is streamfleet's own, in packages named {@code internal} or in
 * unmarked types of the public packages, and may change in any release.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.PACKAGE})
public @interface PublicApi {
}
