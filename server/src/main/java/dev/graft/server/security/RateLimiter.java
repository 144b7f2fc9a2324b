package dev.graft.server.security;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * A token bucket per principal: {@code rate-limit-burst} calls at once, refilled at
 * {@code rate-limit-per-second}. Only authenticated principals are limited (their number is
 * bounded by the tokens file). Thread-safe.
 */
@Singleton
public final class RateLimiter {
  private final double perSecond;
  private final double burst;
  private final LongSupplier nanoTime;
  private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  @Inject
  public RateLimiter(SecuritySettings settings) {
    this(settings.rateLimitPerSecond(), settings.rateLimitBurst(), System::nanoTime);
  }

  RateLimiter(double perSecond, double burst, LongSupplier nanoTime) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.nanoTime = nanoTime;
  }

  /**
   * Takes one call from {@code principal}'s bucket.
   *
   * @return empty when the call may go ahead, else how long until the next one may
   */
  public Optional<Duration> acquire(Principal principal) {
    if (perSecond <= 0 || !principal.authenticated()) {
      return Optional.empty();
    }
    return buckets.computeIfAbsent(principal.name(), n -> new Bucket(burst, nanoTime.getAsLong()))
        .take(perSecond, burst, nanoTime.getAsLong());
  }

  private static final class Bucket {
    private double tokens;
    private long last;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.last = now;
    }

    synchronized Optional<Duration> take(double perSecond, double burst, long now) {
      tokens = Math.min(burst, tokens + (now - last) / 1e9 * perSecond);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return Optional.empty();
      }
      return Optional.of(Duration.ofNanos((long) Math.ceil((1 - tokens) / perSecond * 1e9)));
    }
  }
}
