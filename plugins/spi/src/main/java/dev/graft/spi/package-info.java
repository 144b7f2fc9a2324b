/**
 * The Graft plugin SPI: the only API a plugin compiles against.
 *
 * <p>Two kinds of plugin are discovered with {@link java.util.ServiceLoader}:
 * {@link dev.graft.spi.DomainPlugin} (turns inputs of one kind — text, images, series — into
 * features through a {@link dev.graft.spi.Backbone}) and {@link dev.graft.spi.StrategyPlugin}
 * (trains a new model from a backbone and labelled examples). Each declares the
 * {@link dev.graft.spi.SpiVersion} it was compiled against (in its jar manifest, see
 * {@link dev.graft.spi.PluginManifest}); the server refuses a plugin whose major version differs
 * or whose minor version is newer than its own, and one built against another DJL line than
 * {@link dev.graft.spi.DjlVersion#REQUIRED}.
 *
 * <p>Compatibility: within a major version, every release keeps binary and source compatibility
 * with the previous one (checked by japicmp when the SPI is built), except for what is marked
 * {@link dev.graft.spi.Experimental}.
 *
 * <p>No transport type (gRPC, protobuf, Netty) appears here. Engine types are DJL's public API
 * only. Every type documents its thread-safety and who closes what.
 *
 * <p>Errors: throw {@link dev.graft.spi.GraftException} with the {@link dev.graft.spi.ErrorKind}
 * that fits (bad input, unsupported operation, precondition); the server maps it to the
 * matching status. Any other exception is reported as an internal error.
 */
package dev.graft.spi;
