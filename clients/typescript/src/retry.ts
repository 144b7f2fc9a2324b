import { StatusCode } from "./errors.js";

/**
 * When an idempotent call is tried again. Only codes in `retryableCodes` (UNAVAILABLE by
 * default) are retried, with exponential backoff and full jitter, and never past the call's
 * deadline. Non-idempotent calls (Train, UploadDataset, Delete*) are never retried.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 disables retries. Default 4. */
  maxAttempts: number;
  /** Upper bound of the first backoff. Default 100 ms. */
  initialBackoffMs: number;
  /** Upper bound of any backoff. Default 5 s. */
  maxBackoffMs: number;
  /** Growth of the bound per attempt. Default 2. */
  multiplier: number;
  /** gRPC codes that are retried. Default `[UNAVAILABLE]`. */
  retryableCodes: readonly number[];
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  multiplier: 2,
  retryableCodes: Object.freeze([StatusCode.UNAVAILABLE]),
});

/** A full policy from a partial one (missing fields take the defaults); `false` = no retries. */
export function retryPolicy(init?: Partial<RetryPolicy> | false): RetryPolicy {
  if (init === false) {
    return { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 };
  }
  const policy = { ...DEFAULT_RETRY_POLICY, ...init };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  if (policy.initialBackoffMs < 0 || policy.maxBackoffMs < 0 || policy.multiplier < 1) {
    throw new RangeError("retry backoffs must be >= 0 and the multiplier >= 1");
  }
  return policy;
}

/**
 * The pause before attempt `attempt + 1`, after `attempt` (1-based) attempts failed:
 * uniformly random in [0, min(maxBackoff, initialBackoff * multiplier^(attempt-1))).
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
  return Math.floor(random() * bound);
}

/**
 * Whether to try again after `attempt` (1-based) attempts, the last failing with `code`, given
 * the milliseconds left before the deadline (`Infinity` without one) and the planned pause.
 */
export function shouldRetry(
  policy: RetryPolicy,
  code: number,
  attempt: number,
  remainingMs: number = Infinity,
  pauseMs: number = 0,
): boolean {
  return attempt < policy.maxAttempts && policy.retryableCodes.includes(code) && pauseMs < remainingMs;
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
