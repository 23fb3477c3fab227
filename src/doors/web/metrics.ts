// /metrics in Prometheus's text format (version 0.0.4): what a server is doing, read from the
// counters its parts keep anyway. Nothing here runs unless /metrics is asked for.

import type { ClusterStats } from "../../cluster/roster.ts";
import type { HistoryCounts } from "../../store/history.ts";
import type { ApiCounts } from "./api.ts";
import type { Door } from "../../session/env.ts";

export interface MetricsSource {
  /** Users chatting on this server, by the door they came in by. */
  users: Record<Door, number>;
  /** Everyone online, on every node of a cluster. */
  everyone: number;
  rooms: number;
  connections: number;
  linesIn: number;
  delivered: number;
  bytesOut: number;
  /** Connections turned away at the door, by reason (an error code, or "origin"). */
  refused: Record<string, number>;
  slowDropped: number;
  heldBytes: number;
  history: HistoryCounts | undefined;
  cluster: ClusterStats | undefined;
  api: ApiCounts | undefined;
  healthy: boolean;
}

type Sample = [labels: Record<string, string | number>, value: number];

/** The text of /metrics. */
export function metricsText(m: MetricsSource): string {
  const out: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, samples: number | Sample[]) => {
    out.push(`# HELP bunchat_${name} ${help}`, `# TYPE bunchat_${name} ${type}`);
    for (const [labels, value] of typeof samples === "number" ? [[{}, samples] as Sample] : samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, "_")}"`);
      out.push(`bunchat_${name}${l.length > 0 ? `{${l.join(",")}}` : ""} ${value}`);
    }
  };
  metric("up", "gauge", "1 while the server serves (0 while it shuts down or, in a cluster, has lost Redis).", m.healthy ? 1 : 0);
  metric("users", "gauge", "Users chatting on this server, by door (tcp: nc, telnet, the bundled client; irc; web: the browser).", Object.entries(m.users).map(([door, n]) => [{ door }, n]));
  metric("users_everywhere", "gauge", "Users online on every server of the chat (this one alone when not in a cluster).", m.everyone);
  metric("rooms", "gauge", "Rooms with someone in them.", m.rooms);
  metric("connections", "gauge", "Open connections, named or not.", m.connections);
  metric("lines_in_total", "counter", "Lines and actions said on this server (by users and by bots through the API).", m.linesIn);
  metric("lines_out_total", "counter", "Room lines handed to users on this server, one per recipient.", m.delivered);
  metric("bytes_out_total", "counter", "Bytes written to connections.", m.bytesOut);
  const reasons = Object.entries(m.refused);
  metric("connections_refused_total", "counter", "Connections turned away at the door, by reason.", reasons.length > 0 ? reasons.map(([reason, n]) => [{ reason }, n]) : [[{ reason: "server-full" }, 0]]);
  metric("slow_readers_dropped_total", "counter", "Connections dropped because output piled up while they read nothing.", m.slowDropped);
  metric("held_bytes", "gauge", "Bytes waiting for slow readers, in all.", m.heldBytes);
  if (m.history) {
    metric("history_lines_written_total", "counter", "Lines written to history.", m.history.written);
    metric("history_write_failures_total", "counter", "History writes that failed (lines waiting, or lost with a cluster's failed script).", m.history.failed);
  }
  if (m.cluster) {
    const c = m.cluster;
    metric("cluster_envelopes_total", "counter", "Cluster envelopes: sent, received, missed (never arrived), repeated, not sent.", [
      [{ kind: "sent" }, c.published],
      [{ kind: "received" }, c.received],
      [{ kind: "missed" }, c.missed],
      [{ kind: "repeated" }, c.duplicates],
      [{ kind: "unsent" }, c.unsent],
    ]);
  }
  if (m.api) {
    metric("api_posts_total", "counter", "Lines posted by bots through the HTTP API.", m.api.posted);
    const refusals = Object.entries(m.api.refused);
    metric("api_refused_total", "counter", "HTTP API requests refused, by status.", refusals.length > 0 ? refusals.map(([status, n]) => [{ status }, n]) : [[{ status: 401 }, 0]]);
  }
  return `${out.join("\n")}\n`;
}
