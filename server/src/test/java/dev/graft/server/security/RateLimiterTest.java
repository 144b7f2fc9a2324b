package dev.graft.server.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private final AtomicLong now = new AtomicLong();
  private final Principal alice = new Principal("alice", Role.READER, true);

  @Test
  void aBurstThenTheAverageRatePerPrincipal() {
    RateLimiter limiter = new RateLimiter(2, 3, now::get);
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.empty(), limiter.acquire(alice), "call " + i + " of the burst");
    }
    Optional<Duration> wait = limiter.acquire(alice);
    assertEquals(Optional.of(Duration.ofMillis(500)), wait);
    assertEquals(Optional.empty(), limiter.acquire(new Principal("bob", Role.READER, true)), "bob has his own bucket");
    now.addAndGet(Duration.ofMillis(500).toNanos());
    assertEquals(Optional.empty(), limiter.acquire(alice));
    assertTrue(limiter.acquire(alice).isPresent());
  }

  @Test
  void theAnonymousPrincipalAndAZeroRateAreNotLimited() {
    RateLimiter limiter = new RateLimiter(1, 1, now::get);
    for (int i = 0; i < 10; i++) {
      assertEquals(Optional.empty(), limiter.acquire(Principal.anonymous()));
    }
    RateLimiter off = new RateLimiter(0, 1, now::get);
    for (int i = 0; i < 10; i++) {
      assertEquals(Optional.empty(), off.acquire(alice));
    }
  }
}
