// How a hub reaches users on other nodes, and what it tells them: the bus is made before the hub
// (src/app.ts) and is handed to it; Redis (src/cluster/cluster.ts) and memory (src/cluster/memory.ts) are two.

import type { LeaveReason, MessageId, ServerEvent } from "../protocol/events.ts";
import type { RolesNews, RoomRoles } from "../store/rooms.ts";
import type { Member } from "./room.ts";

/** What a member here did that other nodes must hear of; "quit" is leaving the chat (every room). */
export type RelayEvent =
  | Extract<ServerEvent, { type: "public" | "action" | "leave" | "rename" | "topic" | "edit" | "delete" | "react" }>
  /** Someone here typing in a room (typing.ts): never kept. */
  | (Extract<ServerEvent, { type: "typing" }> & { room: string })
  /** `visit`: with its first join, the member's stay (Member.visit), which a guest's invitations name. */
  | (Extract<ServerEvent, { type: "join" }> & { visit?: string })
  | { type: "quit"; name: string; reason: LeaveReason; message?: string; ts: number };

/**
 * How a hub reaches users on other nodes: the Redis bus in cluster mode (src/cluster/cluster.ts),
 * or an in-memory one between servers of one process (src/cluster/memory.ts). Called only for what
 * members here do; what the others do comes in through the hub's own operations.
 */
export interface Bus {
  /** The id of the next line said here: unique across the cluster (a history in Redis gives the same ones). */
  nextId(): MessageId;
  relay(event: RelayEvent): void;
  /** A member here went away (reason) or came back (undefined). */
  relayAway(name: string, reason: string | undefined): void;
  /** A member here is logged in to the account with this key (undefined: a guest, after /unregister). */
  relayAccount(name: string, account: string | undefined): void;
  /** A private message or an invite for a member on another node; false if that node can't be reached now (or the event is neither). */
  sendPrivate(to: Member, event: ServerEvent): boolean;
  /** Claims a name across the cluster for a member here: true (or a promise of true) if it is ours. */
  claim(name: string): true | Promise<boolean>;
  /** Gives back a claimed name nobody here ended up using. */
  unclaim(name: string): void;
  /**
   * Someone here put out `member`, a user of another node, from the server or from `room`
   * (`message`: by whom and why; `banned`: for a ban, which its node extends to a guest's network).
   */
  kick(member: Member, message: string, room?: string, banned?: boolean): void;
  /** The server bans changed here: the others read them again. */
  relayBans(): void;
  /** A room's roles changed here (and what to tell its members, who made it). */
  relayRoles(room: string, roles: RoomRoles, news: RolesNews): void;
}
