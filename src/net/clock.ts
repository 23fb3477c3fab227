// Time and timers as everything here takes them: passed in, so that tests run on a clock that
// moves only when told to (test/helpers/clock.ts) instead of sleeping through real windows.

export interface Clock {
  /** Milliseconds, only ever growing. */
  now(): number;
  /** Runs `run` once, `ms` from now, unless cancelled. The timer never holds the process open. */
  later(ms: number, run: () => void): { cancel(): void };
}

/** The real one: Date.now and unref'd timers. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  later(ms, run) {
    const timer = setTimeout(run, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** Runs `run` every `ms` on `clock` until cancelled. */
export function every(clock: Clock, ms: number, run: () => void): { cancel(): void } {
  let timer: { cancel(): void };
  const tick = () => {
    timer = clock.later(ms, tick);
    run();
  };
  timer = clock.later(ms, tick);
  return { cancel: () => timer.cancel() };
}

/** `promise`'s value, or `late` if it takes longer than `ms` (the timer is cleared either way). */
export async function within<T, L>(promise: Promise<T>, ms: number, late: L): Promise<T | L> {
  let timer: Timer | undefined;
  try {
    return await Promise.race([promise, new Promise<L>((resolve) => (timer = setTimeout(() => resolve(late), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
