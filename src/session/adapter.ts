// What a door adds to a session: the language its peer speaks. A session (session.ts) is the same
// for every door (flood control, deadlines, the outbox, leaving once); its adapter reads the peer's
// lines and writes events in the door's words. bunchat's own protocol is native.ts; IRC is
// src/doors/irc/door.ts. A new door is a listener and an adapter, never a Session subclass.

import type { MemberNote } from "../core/room.ts";
import type { ServerEvent } from "../protocol/events.ts";
import type { Encoded } from "../render/codec.ts";

export interface Adapter {
  /** What this door speaks, and what to connect with, for someone who came with another protocol. */
  readonly speaks: { readonly protocol: string; readonly clients: string };
  /** The first words to a new connection (none for IRC, whose clients speak first). */
  greet(): void;
  /** A line from the peer, in order, once its flood budget allows; never after the session closed. */
  line(text: string): void;
  /** A line was refused before it was read (too long, not UTF-8): ask again for what registration waits for. */
  reprompt?(): void;
  /** The session has joined the chat: what registering needed can go. */
  joined?(): void;
  /** Its connection left the chat (its member may stay on another device): what it alone held goes. */
  left?(): void;
  /** An event for this peer alone, in the door's words. */
  render(event: ServerEvent): Uint8Array;
  /** An answer encoded once for everyone who asks (a room's /users), for this peer. */
  renderShared(encoded: Encoded): Uint8Array;
  /** Member.note, for a door whose clients keep state from lines (see Member.note). */
  note?(note: MemberNote): void;
  /** What the peer said of itself beyond its name, where its door asks (IRC's USER, user mode +i). */
  readonly user?: PeerUser;
  /** The client's own tags on the line being answered (IRC's message-tags "+…"), carried with what it says. */
  readonly clientTags?: string;
  /** The line being answered is a notice (IRC's NOTICE), and so is what it says. */
  readonly answeringNotice?: boolean;
  /** The longest line it reads (IRC's take tags besides); LIMITS.maxLineBytes if not said. */
  readonly maxLineBytes?: number;
  /** An answer the session waited for (a store in Redis) has come, and what it held goes on. */
  settled?(): void;
}

export interface PeerUser {
  username: string;
  realname: string;
  /** Not shown by a search of everyone (IRC's WHO mask) to those who share no room with it. */
  invisible: boolean;
  /** Takes WALLOPS (user mode +w). */
  wallops?: boolean;
  /** Says it is a bot (user mode +B, IRCv3 bot mode). */
  bot?: boolean;
}
