package dev.graft.server.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class DeviceSchedulerTest {
  private static final long WAIT_S = 10;

  /** Work that signals when it starts and returns only when released. */
  private static final class Gate implements Function<DeviceSpec, String> {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile String threadName;

    @Override
    public String apply(DeviceSpec device) {
      threadName = Thread.currentThread().getName();
      started.countDown();
      try {
        if (!release.await(WAIT_S, TimeUnit.SECONDS)) {
          throw new IllegalStateException("gate never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return device.id();
    }

    void awaitStarted() throws InterruptedException {
      assertTrue(started.await(WAIT_S, TimeUnit.SECONDS), "work did not start");
    }
  }

  private final List<Gate> gates = new ArrayList<>();
  private final List<DeviceScheduler> schedulers = new ArrayList<>();
  private final ExecutorService waiters = Executors.newCachedThreadPool();

  @AfterEach
  void releaseEverything() throws InterruptedException {
    gates.forEach(g -> g.release.countDown());
    for (DeviceScheduler scheduler : schedulers) {
      scheduler.close();
      assertTrue(scheduler.awaitIdle(Duration.ofSeconds(WAIT_S)));
    }
    waiters.shutdownNow();
  }

  private Gate gate() {
    Gate gate = new Gate();
    gates.add(gate);
    return gate;
  }

  private DeviceScheduler scheduler(PoolSpec... pools) {
    DeviceScheduler scheduler = new DeviceScheduler(List.of(pools), pools[0].name());
    schedulers.add(scheduler);
    return scheduler;
  }

  private static PoolSpec gpus(String name, int count, int slots, int capacity) {
    List<DeviceSpec> devices = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      devices.add(new DeviceSpec("gpu:" + i, slots, slots, 0));
    }
    return new PoolSpec(name, devices, capacity);
  }

  private static PoolSpec cpu(String name, int slots, long memory, int capacity) {
    return new PoolSpec(name, List.of(new DeviceSpec("cpu", slots, 1, memory)), capacity);
  }

  private static WorkRequest request(String id, int priority) {
    return new WorkRequest(id, "", priority, 0);
  }

  private static GraftException refusal(ErrorKind kind, String reason, Executable call) {
    GraftException e = assertThrows(GraftException.class, call);
    assertEquals(kind, e.kind(), e.getMessage());
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  private static Throwable failureOf(CompletableFuture<?> future) throws Exception {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> future.get(WAIT_S, TimeUnit.SECONDS));
    return e.getCause();
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(WAIT_S, TimeUnit.SECONDS);
  }

  private static PoolSnapshot pool(DeviceScheduler scheduler, String name) {
    return scheduler.snapshot().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void spreadsEightJobsTwoPerGpuAndQueuesTheNinth() throws Exception {
    DeviceScheduler scheduler = scheduler(gpus("gpus", 4, 2, 4));
    List<ScheduledWork<String>> works = new ArrayList<>();
    List<Gate> running = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Gate gate = gate();
      running.add(gate);
      works.add(scheduler.submit(request("job" + i, 0), gate));
    }
    for (Gate gate : running) {
      gate.awaitStarted();
    }
    Map<String, Long> perDevice =
        works.stream()
            .collect(Collectors.groupingBy(w -> w.device().orElseThrow().id(), Collectors.counting()));
    assertEquals(Map.of("gpu:0", 2L, "gpu:1", 2L, "gpu:2", 2L, "gpu:3", 2L), perDevice);
    assertTrue(running.get(0).threadName.startsWith("graft-train-gpu:0-"), running.get(0).threadName);

    Gate ninth = gate();
    ScheduledWork<String> queued = scheduler.submit(request("job8", 0), ninth);
    assertTrue(queued.device().isEmpty());
    PoolSnapshot snapshot = pool(scheduler, "gpus");
    assertEquals(1, snapshot.queued());
    assertEquals(4, snapshot.queueCapacity());
    snapshot.devices().forEach(d -> assertEquals(2, d.runningJobs(), d.id()));

    // Free a slot on gpus:2: the ninth job runs there.
    int onGpu2 = 0;
    while (!works.get(onGpu2).device().orElseThrow().id().equals("gpu:2")) {
      onGpu2++;
    }
    running.get(onGpu2).release.countDown();
    assertEquals("gpu:2", await(works.get(onGpu2).result()));
    ninth.awaitStarted();
    assertEquals("gpu:2", queued.device().orElseThrow().id());
    assertEquals(0, pool(scheduler, "gpus").queued());
  }

  @Test
  void laterHighPriorityRunsFirstAndEqualPrioritiesRunInOrder() throws Exception {
    DeviceScheduler scheduler = scheduler(cpu("cpu", 1, 0, 10));
    Gate blocker = gate();
    scheduler.submit(request("blocker", 0), blocker);
    blocker.awaitStarted();
    ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<String>> results = new ArrayList<>();
    String[][] submissions = {{"low1", "0"}, {"mid1", "1"}, {"low2", "0"}, {"high", "5"}, {"mid2", "1"}};
    for (String[] s : submissions) {
      String id = s[0];
      results.add(
          scheduler
              .submit(request(id, Integer.parseInt(s[1])), d -> {
                order.add(id);
                return id;
              })
              .result());
    }
    assertEquals(List.of(), List.copyOf(order));
    blocker.release.countDown();
    for (CompletableFuture<String> result : results) {
      await(result);
    }
    assertEquals(List.of("high", "mid1", "mid2", "low1", "low2"), List.copyOf(order));
  }

  @Test
  void fullQueueIsRefusedAtOnce() throws Exception {
    DeviceScheduler scheduler = scheduler(cpu("small", 1, 0, 2));
    Gate blocker = gate();
    scheduler.submit(request("running", 0), blocker);
    scheduler.submit(request("q1", 0), gate());
    scheduler.submit(request("q2", 0), gate());
    GraftException e =
        refusal(
            ErrorKind.RESOURCE_EXHAUSTED,
            "QUEUE_FULL",
            () -> scheduler.submit(request("q3", 99), gate()));
    assertTrue(e.getMessage().contains("'small'") && e.getMessage().contains("2"), e.getMessage());
    assertEquals(2, pool(scheduler, "small").queued());
  }

  @Test
  void unknownPoolIsInvalidArgumentAndEmptyMeansDefault() throws Exception {
    DeviceScheduler scheduler = scheduler(cpu("main", 1, 0, 1), gpus("gpus", 1, 1, 1));
    GraftException e =
        refusal(
            ErrorKind.INVALID_ARGUMENT,
            "UNKNOWN_DEVICE_POOL",
            () -> scheduler.submit(new WorkRequest("x", "tpus", 0, 0), d -> d));
    assertEquals("device_pool", e.field());
    assertTrue(e.getMessage().contains("tpus") && e.getMessage().contains("main, gpus"), e.getMessage());
    assertEquals("main", scheduler.defaultPool());
    assertEquals("cpu", await(scheduler.submit(request("d", 0), DeviceSpec::id).result()));
    assertEquals(
        "gpu:0", await(scheduler.submit(new WorkRequest("g", "gpus", 0, 0), DeviceSpec::id).result()));
    refusal(
        ErrorKind.INVALID_ARGUMENT,
        "UNKNOWN_DEVICE_POOL",
        () -> scheduler.acquireInference("tpus", Duration.ZERO));
  }

  @Test
  void cancelIfQueuedRemovesQueuedWorkOnly() throws Exception {
    DeviceScheduler scheduler = scheduler(cpu("cpu", 1, 0, 5));
    Gate blocker = gate();
    ScheduledWork<String> running = scheduler.submit(request("running", 0), blocker);
    blocker.awaitStarted();
    AtomicBoolean ran = new AtomicBoolean();
    ScheduledWork<String> queued = scheduler.submit(request("queued", 0), d -> {
      ran.set(true);
      return "queued";
    });
    ScheduledWork<String> cancelledByFuture = scheduler.submit(request("other", 0), d -> {
      ran.set(true);
      return "other";
    });
    assertEquals(2, pool(scheduler, "cpu").queued());

    assertTrue(queued.cancelIfQueued());
    assertTrue(queued.result().isCancelled());
    assertFalse(queued.cancelIfQueued());
    assertTrue(cancelledByFuture.result().cancel(true));
    assertEquals(0, pool(scheduler, "cpu").queued());

    assertFalse(running.cancelIfQueued());
    assertFalse(running.result().isDone());
    blocker.release.countDown();
    assertEquals("cpu", await(running.result()));
    assertTrue(scheduler.awaitIdle(Duration.ofSeconds(WAIT_S)));
    assertFalse(ran.get());
    assertThrows(CancellationException.class, () -> queued.result().join());
  }

  @Test
  void memoryBudgetHoldsBackWorkUntilMemoryIsFree() throws Exception {
    DeviceScheduler scheduler = scheduler(cpu("cpu", 2, 100, 5));
    Gate first = gate();
    ScheduledWork<String> a = scheduler.submit(new WorkRequest("a", "", 0, 60), first);
    first.awaitStarted();
    Gate second = gate();
    ScheduledWork<String> b = scheduler.submit(new WorkRequest("b", "", 0, 60), second);
    // A second slot is free but only 40 bytes are left: b waits.
    assertTrue(b.device().isEmpty());
    DeviceSnapshot cpu = pool(scheduler, "cpu").devices().get(0);
    assertEquals(1, cpu.runningJobs());
    assertEquals(60, cpu.memoryUsed());
    assertEquals(100, cpu.memoryTotal());

    refusal(
        ErrorKind.RESOURCE_EXHAUSTED,
        "INSUFFICIENT_DEVICE_MEMORY",
        () -> scheduler.submit(new WorkRequest("huge", "", 0, 101), d -> d));

    first.release.countDown();
    await(a.result());
    second.awaitStarted();
    assertEquals(60, pool(scheduler, "cpu").devices().get(0).memoryUsed());
    second.release.countDown();
    await(b.result());
    assertEquals(0, pool(scheduler, "cpu").devices().get(0).memoryUsed());
  }

  @Test
  void failingWorkFailsItsFutureAndFreesTheSlot() throws Exception {
    DeviceScheduler scheduler = scheduler(cpu("cpu", 1, 100, 5));
    IllegalStateException boom = new IllegalStateException("boom");
    ScheduledWork<String> failing = scheduler.submit(new WorkRequest("f", "", 0, 50), d -> {
      throw boom;
    });
    assertSame(boom, failureOf(failing.result()));
    DeviceSnapshot cpu = pool(scheduler, "cpu").devices().get(0);
    assertEquals(0, cpu.runningJobs());
    assertEquals(0, cpu.memoryUsed());
    assertEquals("cpu", await(scheduler.submit(request("next", 0), DeviceSpec::id).result()));
  }

  @Test
  void inferenceLeasesPickLeastLoadedWaitAndTimeOut() throws Exception {
    DeviceScheduler scheduler = scheduler(gpus("gpus", 2, 1, 1));
    InferenceLease first = scheduler.acquireInference("", Duration.ZERO);
    InferenceLease second = scheduler.acquireInference("gpus", Duration.ZERO);
    assertEquals("gpu:0", first.device().id());
    assertEquals("gpu:1", second.device().id());
    GraftException busy =
        refusal(
            ErrorKind.RESOURCE_EXHAUSTED,
            "INFERENCE_BUSY",
            () -> scheduler.acquireInference("gpus", Duration.ofMillis(20)));
    assertTrue(busy.getMessage().contains("gpus"), busy.getMessage());

    Future<InferenceLease> waiter =
        waiters.submit(() -> scheduler.acquireInference("gpus", Duration.ofSeconds(WAIT_S)));
    assertThrows(TimeoutException.class, () -> waiter.get(50, TimeUnit.MILLISECONDS));
    second.close();
    second.close(); // idempotent
    InferenceLease third = waiter.get(WAIT_S, TimeUnit.SECONDS);
    assertEquals("gpu:1", third.device().id());
    List<DeviceSnapshot> devices = pool(scheduler, "gpus").devices();
    assertEquals(1, devices.get(0).runningInferences());
    assertEquals(1, devices.get(1).runningInferences());
    first.close();
    third.close();
    pool(scheduler, "gpus").devices().forEach(d -> assertEquals(0, d.runningInferences()));
  }

  @Test
  void closeFailsQueuedWorkAndWaitersButLetsRunningWorkFinish() throws Exception {
    DeviceScheduler scheduler = scheduler(cpu("cpu", 1, 0, 5));
    Gate blocker = gate();
    ScheduledWork<String> running = scheduler.submit(request("running", 0), blocker);
    blocker.awaitStarted();
    ScheduledWork<String> queued = scheduler.submit(request("queued", 0), DeviceSpec::id);
    InferenceLease lease = scheduler.acquireInference("", Duration.ZERO);
    Future<InferenceLease> waiter =
        waiters.submit(() -> scheduler.acquireInference("", Duration.ofSeconds(WAIT_S)));
    assertThrows(TimeoutException.class, () -> waiter.get(50, TimeUnit.MILLISECONDS));
    assertFalse(scheduler.awaitIdle(Duration.ofMillis(10)));

    scheduler.close();

    GraftException refused = assertInstanceOf(GraftException.class, failureOf(queued.result()));
    assertEquals(ErrorKind.UNAVAILABLE, refused.kind());
    assertEquals("SHUTTING_DOWN", refused.reason());
    ExecutionException woken =
        assertThrows(ExecutionException.class, () -> waiter.get(WAIT_S, TimeUnit.SECONDS));
    assertEquals("SHUTTING_DOWN", assertInstanceOf(GraftException.class, woken.getCause()).reason());
    refusal(ErrorKind.UNAVAILABLE, "SHUTTING_DOWN", () -> scheduler.submit(request("late", 0), d -> d));
    refusal(
        ErrorKind.UNAVAILABLE, "SHUTTING_DOWN", () -> scheduler.acquireInference("", Duration.ZERO));
    lease.close();

    assertFalse(running.result().isDone());
    blocker.release.countDown();
    assertEquals("cpu", await(running.result()));
    assertTrue(scheduler.awaitIdle(Duration.ofSeconds(WAIT_S)));
    assertEquals(0, pool(scheduler, "cpu").queued());
  }

  @Test
  void snapshotCountsEverything() throws Exception {
    PoolSpec mixed =
        new PoolSpec(
            "mixed",
            List.of(new DeviceSpec("cpu", 1, 2, 1000), new DeviceSpec("gpu:0", 1, 1, 500)),
            3);
    DeviceScheduler scheduler =
        scheduler(mixed, new PoolSpec("spare", List.of(new DeviceSpec("gpu:1", 1, 1, 0)), 0));
    Gate onCpu = gate();
    Gate onGpu = gate();
    scheduler.submit(new WorkRequest("a", "", 0, 300), onCpu);
    scheduler.submit(new WorkRequest("b", "", 7, 200), onGpu);
    onCpu.awaitStarted();
    onGpu.awaitStarted();
    scheduler.submit(request("c", 0), gate());
    InferenceLease lease = scheduler.acquireInference("mixed", Duration.ZERO);

    List<PoolSnapshot> snapshot = scheduler.snapshot();
    assertEquals(List.of("mixed", "spare"), snapshot.stream().map(PoolSnapshot::name).toList());
    PoolSnapshot pool = snapshot.get(0);
    assertEquals(1, pool.queued());
    assertEquals(3, pool.queueCapacity());
    assertEquals(new DeviceSnapshot("cpu", 1, 0, 1, 1, 2, 300, 1000), pool.devices().get(0));
    assertEquals(new DeviceSnapshot("gpu:0", 1, 0, 1, 0, 1, 200, 500), pool.devices().get(1));
    assertEquals("cpu", lease.device().id());
    lease.close();
  }

  @Test
  void concurrentSubmittersNeverOverfillASlotAndEveryJobRuns() throws Exception {
    DeviceScheduler scheduler = scheduler(gpus("gpus", 4, 2, 400));
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    AtomicBoolean overfilled = new AtomicBoolean();
    Function<DeviceSpec, String> work =
        d -> {
          int now = running.computeIfAbsent(d.id(), k -> new AtomicInteger()).incrementAndGet();
          if (now > d.trainingSlots()) {
            overfilled.set(true);
          }
          Thread.yield();
          running.get(d.id()).decrementAndGet();
          return d.id();
        };
    List<Future<List<CompletableFuture<String>>>> submitters = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int submitter = t;
      submitters.add(
          waiters.submit(
              () -> {
                List<CompletableFuture<String>> results = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                  results.add(scheduler.submit(request(submitter + "-" + i, i % 3), work).result());
                }
                return results;
              }));
    }
    int done = 0;
    for (Future<List<CompletableFuture<String>>> submitter : submitters) {
      for (CompletableFuture<String> result : submitter.get(WAIT_S, TimeUnit.SECONDS)) {
        assertTrue(result.get(WAIT_S, TimeUnit.SECONDS).startsWith("gpu:"));
        done++;
      }
    }
    assertEquals(400, done);
    assertFalse(overfilled.get());
    assertTrue(scheduler.awaitIdle(Duration.ofSeconds(WAIT_S)));
    PoolSnapshot pool = pool(scheduler, "gpus");
    assertEquals(0, pool.queued());
    pool.devices().forEach(d -> assertEquals(0, d.runningJobs() + d.queuedJobs(), d.id()));
  }

  @Test
  void refusesBadPoolConfigurations() {
    PoolSpec a = cpu("a", 1, 0, 1);
    assertThrows(IllegalArgumentException.class, () -> new DeviceScheduler(List.of(), "a"));
    assertThrows(IllegalArgumentException.class, () -> new DeviceScheduler(List.of(a), "b"));
    assertThrows(IllegalArgumentException.class, () -> new DeviceScheduler(List.of(a, a), "a"));
    IllegalArgumentException shared =
        assertThrows(
            IllegalArgumentException.class,
            () -> new DeviceScheduler(List.of(a, cpu("b", 1, 0, 1)), "a"));
    assertTrue(shared.getMessage().contains("cpu"), shared.getMessage());
  }

  @Test
  void poolsWithoutSlotsRefuseAtOnce() {
    PoolSpec inferenceOnly = new PoolSpec("serve", List.of(new DeviceSpec("cpu", 0, 1, 0)), 5);
    PoolSpec trainOnly = new PoolSpec("train", List.of(new DeviceSpec("gpu:0", 1, 0, 0)), 5);
    DeviceScheduler scheduler = scheduler(inferenceOnly, trainOnly);
    refusal(ErrorKind.FAILED_PRECONDITION, "NO_TRAINING_SLOTS", () -> scheduler.submit(request("x", 0), d -> d));
    refusal(
        ErrorKind.FAILED_PRECONDITION,
        "NO_INFERENCE_SLOTS",
        () -> scheduler.acquireInference("train", Duration.ofSeconds(WAIT_S)));
  }
}
