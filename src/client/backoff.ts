// How long a client waits before trying to reach the server again: the bundled client and the
// page both, so that a crowd whose server restarted comes back spread out, not all at once.

/** The first reconnection attempt waits about this long, each next one twice as long… */
const RECONNECT_FIRST_MS = 1000;
/** …up to this. */
const RECONNECT_CAP_MS = 30_000;

/**
 * How long reconnection attempt `attempt` (0, 1, 2…) waits: 1, 2, 4… s up to 30 s, each ±50 %
 * (`random` in [0, 1)), so that a crowd whose server restarted does not come back all at once.
 */
export function backoffMs(attempt: number, random: number): number {
  const base = Math.min(RECONNECT_CAP_MS, RECONNECT_FIRST_MS * 2 ** attempt);
  return Math.min(RECONNECT_CAP_MS, Math.round(base * (0.5 + random)));
}
