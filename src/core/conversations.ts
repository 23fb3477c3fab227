// Private conversations as the hub keeps them: a private message between two registered users is
// kept (unless --keep-private off) under the conversation's key, as a room's line is under its
// name, so that every device of either sees it, a device that comes back is shown what it missed,
// and /history, /search, /edit and /delete reach it, for those two only. A guest's are never kept.
// The log never holds their text (chat.ts logs that one was sent, not what it said).
//
// Each of the two sees the conversation as "@" and the other's name ("@Sam"): the history event's
// `room`, the read marker's target (markers.ts, in lower case), a change's `room`.

import type { ErrorEvent, PrivateLine, ServerEvent, Unread } from "../protocol/events.ts";
import { foldName, hasNameShape, mentions } from "../protocol/names.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import type { AccountStore } from "../store/accounts.ts";
import { type Conversation, conversationKey, HISTORY_PAGE_MAX, type HistoryStore, type Kept, type KeptPrivate, type Maybe, participants, settled, then, chain } from "../store/history.ts";
import { markerKey } from "./markers.ts";
import { storeFailed } from "./messages.ts";
import type { Member } from "./room.ts";

/** Conversations one catch-up shows at most (those with the newest lines): the rest are counted, and /history shows them. */
export const CATCH_UP_CONVERSATIONS = 10;

/** What conversations need of the hub. */
export interface ConversationsHost {
  readonly history: HistoryStore | undefined;
  readonly accounts: AccountStore | undefined;
  /** Whether private messages between registered users are kept (--keep-private). */
  readonly keepPrivate: boolean;
  find(name: string): Member | undefined;
  /** Keeps a line, as a room's are kept (flushed within 100 ms, committed before anyone is sent it). */
  keep(line: KeptPrivate): void;
}

/** One of a member's conversations, named as it sees it: its key, and the other's name. */
export interface Talk {
  key: string;
  /** The other's name as shown ("Sam"): their registered spelling. */
  other: string;
}

/** What a device coming back missed in its user's conversations: a history event each, and what is unread in each. */
export interface Missed {
  shown: Extract<ServerEvent, { type: "history" }>[];
  unread: Record<string, Unread>;
}

const NOTHING_MISSED: Missed = { shown: [], unread: {} };

export class Conversations {
  constructor(private readonly host: ConversationsHost) {}

  /** Where a private message between `a` and `b` is kept: both registered, and keeping on; else undefined. */
  keyOf(a: Member, b: Member): string | undefined {
    if (!this.keeping || a.account === undefined || b.account === undefined) return undefined;
    return conversationKey(a.account, b.account);
  }

  /** Whether private conversations are kept here at all (a store, and --keep-private on). */
  get keeping(): boolean {
    return this.host.keepPrivate && this.host.history !== undefined;
  }

  /** Keeps a private message `from` sent `to`, if theirs are kept. Whether it was. */
  keep(from: Member, to: Member, said: { id: KeptPrivate["id"]; text: string; ts: number }): boolean {
    const key = this.keyOf(from, to);
    if (key === undefined) return false;
    this.keepIn(key, from.name, said);
    return true;
  }

  /** Keeps a private message `from` (a name) said in conversation `key`. */
  keepIn(key: string, from: string, said: { id: KeptPrivate["id"]; text: string; ts: number }): void {
    this.host.keep({ type: "private", id: said.id, room: key, from, text: said.text, ts: said.ts });
  }

  /**
   * `me`'s conversation with the name `input` (/history Sam): its key and the other's name as
   * registered, or why there is none (a guest's are not kept; nor are they with a name not registered).
   */
  find(me: Member, input: string): Maybe<Talk | ErrorEvent> {
    const name = input.replace(/^@/, "");
    if (!hasNameShape(name)) return { type: "error", code: "bad-usage", message: `"${sanitizeText(input).slice(0, 32)}" is neither a room nor a name.` };
    if (!this.host.history) return { type: "error", code: "no-history", message: "This server keeps no history." };
    if (!this.host.keepPrivate) return { type: "error", code: "no-history", message: "This server keeps no private conversations." };
    if (me.account === undefined) return { type: "error", code: "no-history", message: "Private conversations are kept for registered names only: /register keeps yours from then on." };
    const key = foldName(name);
    if (key === me.account) return { type: "error", code: "bad-usage", message: "That is you: a conversation is with someone else." };
    return then(settled(this.nameOf(key)), (other) => {
      if (other === null) return storeFailed();
      if (other === undefined) return { type: "error", code: "unknown-user", message: `${name} is not a registered name: only conversations between registered names are kept.` };
      return { key: conversationKey(me.account!, key), other };
    });
  }

  /** The registered name whose key is `key`, as it is spelt (online: as it is shown now); undefined if none is. */
  nameOf(key: string): Maybe<string | undefined> {
    const online = this.host.find(key);
    if (online?.account === key) return online.name;
    if (!this.host.accounts) return undefined;
    return then(this.host.accounts.get(key), (account) => account?.name);
  }

  /** The names of the others in `talks`, as nameOf finds them (their key where none is found), with when each last had a line. */
  talksOf(talks: readonly Conversation[]): Maybe<(Talk & { last: number })[]> {
    const names = talks.map((t) => settled(this.nameOf(t.with)));
    const made = (found: (string | undefined | null)[]) => talks.map((t, i) => ({ key: t.key, other: found[i] ?? t.with, last: t.last }));
    return names.some((n) => n instanceof Promise) ? Promise.all(names).then(made) : made(names as (string | undefined | null)[]);
  }

  /** `account`'s conversations kept (now or before --keep-private off), newest first, named (talksOf); null if the store can't be read now. */
  talks(account: string): Maybe<(Talk & { last: number })[] | null> {
    const history = this.host.history;
    if (!history) return [];
    return chain(settled(history.conversations(account)), (all) => (all ? this.talksOf(all) : null));
  }

  /**
   * What `member` missed in its conversations: the lines said in each since it last read it or was
   * last connected (whichever is later), up to HISTORY_PAGE_MAX each, in the CATCH_UP_CONVERSATIONS
   * with the newest lines; and what is unread in each (lines from the other, and those mentioning it).
   * Nothing for a guest, or a server that keeps none.
   */
  missed(member: Member, seen: number | undefined, now: number): Maybe<Missed> {
    const history = this.host.history;
    const account = member.account;
    if (!history || !this.host.keepPrivate || account === undefined) return NOTHING_MISSED;
    return chain(settled(history.conversations(account)), (listed) => {
      if (!listed) return NOTHING_MISSED;
      // Those with nothing since the last connection went are passed over before their names are looked up.
      const all = listed.filter((t) => seen === undefined || t.last >= seen);
      // New: after the marker, and not before the last connection went (a line of that same
      // millisecond may have been sent to it, or not: shown, rather than maybe missed).
      const markerOf = (other: string) => member.markers?.get(markerKey(other)) ?? -1;
      const isNew = (ts: number, other: string) => ts > markerOf(other) && (seen === undefined || ts >= seen);
      const sinceOf = (other: string) => Math.max(markerOf(other), seen ?? 0);
      return chain(this.talksOf(all), (talks): Maybe<Missed> => {
        // A conversation whose last line is not new has nothing new: not read.
        const fresh = talks.filter((t) => isNew(t.last, t.other)).slice(0, CATCH_UP_CONVERSATIONS);
        const reads = fresh.map((t) => settled(history.recent(t.key, HISTORY_PAGE_MAX + 1)));
        const made = (found: (Kept[] | null)[]): Missed => {
          const missed: Missed = { shown: [], unread: {} };
          fresh.forEach((talk, i) => {
            const lines = found[i];
            if (!lines) return;
            const since = sinceOf(talk.other);
            const after = lines.filter((l): l is Kept & { event: KeptPrivate } => l.event.type === "private" && isNew(l.event.ts, talk.other) && visibleTo(member, l.event));
            if (after.length === 0) return;
            const shown = after.slice(-HISTORY_PAGE_MAX);
            const unread: Unread = { count: 0, mentions: 0 };
            for (const { event } of shown) {
              if (foldName(event.from) === account) continue;
              unread.count++;
              if (mentions(event.text, member.name)) unread.mentions++;
            }
            if (after.length > HISTORY_PAGE_MAX || (lines.length > HISTORY_PAGE_MAX && isNew(lines[0]!.event.ts, talk.other))) unread.more = true;
            if (unread.count > 0) missed.unread[markerKey(talk.other)] = unread;
            missed.shown.push({
              type: "history",
              room: `@${talk.other}`,
              why: "join",
              events: shown.map((l) => shownTo(l.event, account, talk.other)),
              more: lines.length > shown.length,
              ts: now,
              since,
            });
          });
          missed.shown.reverse(); // the conversation with the newest lines last: nearest the prompt
          return missed;
        };
        return reads.some((r) => r instanceof Promise) ? Promise.all(reads).then(made) : made(reads as (Kept[] | null)[]);
      });
    });
  }
}

/** Whether `member` is shown a kept private line: not one from someone it ignores (kept all the same, for its sender). */
export function visibleTo(member: Member, line: KeptPrivate): boolean {
  return member.ignoring === undefined || !member.ignoring.has(foldName(line.from));
}

/** A kept private line as `me` (a name key) sees it: theirs (`private`) or its own (`private-sent`) to `other`. */
export function shownTo(line: KeptPrivate, me: string, other: string): PrivateLine {
  const state = { ...(line.reply ? { reply: line.reply } : {}), ...(line.edited !== undefined ? { edited: line.edited } : {}), ...(line.reactions ? { reactions: line.reactions } : {}) };
  if (foldName(line.from) === me) return { type: "private-sent", id: line.id, to: other, text: line.text, ts: line.ts, ...state };
  return { type: "private", id: line.id, from: line.from, text: line.text, ts: line.ts, ...state };
}

/** The other of a conversation's two, for `me` (a name key); undefined if `key` is not one of `me`'s. */
export function otherIn(key: string, me: string): string | undefined {
  const two = participants(key);
  if (!two) return undefined;
  return two[0] === me ? two[1] : two[1] === me ? two[0] : undefined;
}
