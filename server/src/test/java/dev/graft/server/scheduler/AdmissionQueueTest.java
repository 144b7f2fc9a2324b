package dev.graft.server.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionQueueTest {

  private static List<String> pollAll(AdmissionQueue<String> queue) {
    List<String> out = new ArrayList<>();
    for (String s = queue.poll(); s != null; s = queue.poll()) {
      out.add(s);
    }
    return out;
  }

  @Test
  void higherPriorityFirstThenFifo() {
    AdmissionQueue<String> queue = new AdmissionQueue<>(10);
    queue.offer("a1", 1);
    queue.offer("b0", 0);
    queue.offer("c1", 1);
    queue.offer("d5", 5);
    queue.offer("e0", 0);
    queue.offer("min", Integer.MIN_VALUE);
    queue.offer("max", Integer.MAX_VALUE);
    assertEquals("max", queue.peek());
    assertEquals(List.of("max", "d5", "a1", "c1", "b0", "e0", "min"), pollAll(queue));
    assertNull(queue.peek());
  }

  @Test
  void refusesWhenFull() {
    AdmissionQueue<String> queue = new AdmissionQueue<>(2);
    assertTrue(queue.offer("a", 0));
    assertTrue(queue.offer("b", 0));
    assertTrue(queue.isFull());
    assertFalse(queue.offer("c", 99));
    assertEquals(2, queue.size());
    assertFalse(new AdmissionQueue<String>(0).offer("x", 0));
  }

  @Test
  void removesAnItemAndDrainsInOrder() {
    AdmissionQueue<String> queue = new AdmissionQueue<>(5);
    String a = "a";
    queue.offer(a, 0);
    queue.offer("b", 3);
    queue.offer("c", 0);
    assertThrows(IllegalArgumentException.class, () -> queue.offer(a, 1));
    assertTrue(queue.remove(a));
    assertFalse(queue.remove(a));
    assertEquals(List.of("b", "c"), queue.drain());
    assertTrue(queue.isEmpty());
    assertTrue(queue.offer(a, 0));
  }
}
