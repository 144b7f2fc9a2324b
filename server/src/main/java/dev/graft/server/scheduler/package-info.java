/**
 * Device pools, placement and admission for training and inference work.
 *
 * <p>Transport-free (no gRPC or protobuf types), in the manner of DJL Serving's {@code wlm}:
 * {@link dev.graft.server.scheduler.DeviceScheduler#submit} returns a {@code CompletableFuture}
 * and refuses work with {@link dev.graft.spi.GraftException}s whose reasons are stable
 * ({@code QUEUE_FULL}, {@code UNKNOWN_DEVICE_POOL}, {@code SHUTTING_DOWN},
 * {@code INSUFFICIENT_DEVICE_MEMORY}, {@code INFERENCE_BUSY}).
 *
 * <p>Parts: {@link dev.graft.server.scheduler.DeviceDiscovery} turns config strings into
 * {@link dev.graft.server.scheduler.DeviceSpec}s; {@code AdmissionQueue} is a pool's bounded
 * priority queue; {@code PlacementPolicy} picks a device from a list of loads (a pure function);
 * {@code DevicePool} holds one pool's state and dispatches its queue onto devices.
 */
package dev.graft.server.scheduler;
