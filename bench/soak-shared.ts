// What the soak coordinator (bench/soak.ts) and its workers (bench/soak-worker.ts) tell each other.

/** Latency histogram: 10 µs buckets up to 1 s, then one bucket for everything slower. */
export const BUCKET_MS = 0.01;
export const BUCKETS = 100_000;

export interface SoakConfig {
  /** The server's port, or a cluster's nodes: clients connect to them in turn. */
  ports: number[];
  worker: number;
  /** Clients that read everything and send; losses are counted between them. */
  healthy: number;
  /** Clients that stop reading right after joining. */
  slow: number;
  /** Clients that keep joining and vanishing (half with a reset, half with quit). */
  churners: number;
  /** Lines each healthy client sends per second, on average. */
  perClientRate: number;
}

export type WorkerMessage =
  | { type: "ready"; joined: number }
  | { type: "stopped"; sent: Record<string, number> }
  | {
      type: "report";
      deliveries: number;
      lost: number;
      reordered: number;
      disconnectedHealthy: number;
      slowDropped: number;
      churnCycles: number;
      churnErrors: number;
      /** [bucket, count] for the buckets that are not empty. */
      histogram: [number, number][];
      maxLatencyMs: number;
    };
