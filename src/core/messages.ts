// Lines with identity, as the hub acts on them: finding the line a person names, answering it,
// editing or deleting it, and reactions. Every door comes here (nc's /answer, JSON, the page, IRC's
// tags, REDACT and TAGMSG, the HTTP API); what is changed is changed in the store first, then told
// to the room here and on the other nodes.
//
// A line someone can't see (of a room they are not in, a secret room, an id guessed) is answered
// exactly as one that does not exist.

import type { ErrorEvent, KeptEvent, MessageId, Quote, Reaction, ServerEvent } from "../protocol/events.ts";
import { EMOJI_PER_LINE, EMOJI_PER_PERSON, excerpt, LINES_BACK, type LineRef, REACTIONS_PER_LINE } from "../protocol/messages.ts";
import { foldName } from "../protocol/names.ts";
import { chain, type Kept, type KeptPrivate, type Maybe, settled, type StoredLine, then } from "../store/history.ts";
import { otherIn, type Talk } from "./conversations.ts";
import type { Member, Room } from "./room.ts";
import type { Hub } from "./hub.ts";

/** An edit, a delete or a reaction: told to a room's members (and relayed to the other nodes). */
export type LineChange = Extract<ServerEvent, { type: "edit" | "delete" | "react" }>;

/** A room line a change can be about (not a topic). */
type Said = Extract<KeptEvent, { type: "public" | "action" }>;

/** A line someone named: a room's, or (by its id) one of a private conversation of theirs. */
export type FoundLine = { room: Room; talk?: undefined; line: Kept & { event: Said } } | { room?: undefined; talk: Talk; line: Kept & { event: KeptPrivate } };

/** A room line someone named. */
export type FoundRoomLine = Extract<FoundLine, { room: Room }>;

const error = (code: ErrorEvent["code"], message: string): ErrorEvent => ({ type: "error", code, message });

/** The one answer to a line that does not exist, or that this person can't see. */
export function noSuchLine(): ErrorEvent {
  return error("unknown-line", "There is no such line in this room (or it is no longer kept).");
}

/** History is kept, but the store can't be reached now (Redis away, a file refusing reads). */
export function storeFailed(): ErrorEvent {
  return error("no-history", "History can't be read right now (the server can't reach it); try again in a moment.");
}

/** The quote a reply carries of the line it answers. */
export function quoteOf(event: StoredLine): Quote {
  const from = event.type === "topic" ? event.by : event.from;
  return { id: event.id, from, text: excerpt(event.text) };
}

/** Whether `member` said `event`: the same name, and for a guest during this stay (a later guest of that name did not). */
export function ownsLine(member: Member, event: Said | KeptPrivate): boolean {
  if (foldName(event.from) !== foldName(member.name) || event.type === "public" && event.bot) return false;
  return member.account !== undefined || member.since === undefined || event.ts >= member.since;
}

export class Messages {
  constructor(private readonly hub: Hub) {}

  /**
   * The room line `ref` names in `room`, which `me` must be in: by id, the n-th line back, or
   * someone's last line there (a topic is not a line one can answer). The refusal otherwise.
   */
  find(me: Member, room: Room | undefined, ref: LineRef): Maybe<FoundLine | ErrorEvent> {
    const history = this.hub.history;
    if (!history) return error("no-history", "This server keeps no history, so its lines can't be answered, edited or reacted to.");
    if (!room || !room.has(me)) return ref.kind === "id" ? this.findPrivate(me, undefined, ref.id) : error("not-in-room", "You are in no room: /join one first.");
    const found: Maybe<Kept | undefined | null> =
      ref.kind === "id"
        ? settled(history.find(room.name, ref.id))
        : then(settled(history.recent(room.name, LINES_BACK)), (lines) => {
            if (lines === null) return null;
            const said = lines.filter((l) => l.event.type !== "topic");
            if (ref.kind === "back") return said[said.length - ref.n];
            const name = foldName(ref.name);
            return said.findLast((l) => l.event.type !== "topic" && foldName(l.event.from) === name);
          });
    return chain(found, (line): Maybe<FoundLine | ErrorEvent> => {
      if (line === null) return storeFailed();
      if (!line || line.event.type === "topic" || line.event.type === "private") {
        if (ref.kind === "last-of") return error("unknown-line", `${ref.name} has said nothing in ${room.name} lately.`);
        if (ref.kind === "back") return error("unknown-line", `${room.name} has no line ${ref.n} back.`);
        return this.findPrivate(me, undefined, ref.id); // not this room's: one of a private conversation, maybe
      }
      return { room, line: { id: line.id, event: line.event } };
    });
  }

  /**
   * Line `id` of `me`'s private conversation `talk` (IRC's REDACT names it), or of any of its
   * conversations (an id alone: /delete 1234): undefined if none of them has it.
   */
  findPrivate(me: Member, talk: Talk | undefined, id: MessageId): Maybe<FoundLine | ErrorEvent> {
    const history = this.hub.history;
    if (!history || me.account === undefined) return noSuchLine();
    const account = me.account;
    const talks: Maybe<Talk[] | null> = talk ? [talk] : this.hub.conversations.talks(account);
    return chain(talks, (list): Maybe<FoundLine | ErrorEvent> => {
      if (list === null) return storeFailed();
      const looked = list.map((t) => settled(history.find(t.key, id)));
      const pick = (found: (Kept | undefined | null)[]): FoundLine | ErrorEvent => {
        const at = found.findIndex((k) => k?.event.type === "private");
        if (at < 0) return found.includes(null) ? storeFailed() : noSuchLine();
        const line = found[at]!;
        return line.event.type === "private" ? { talk: list[at]!, line: { id: line.id, event: line.event } } : noSuchLine();
      };
      return looked.some((l) => l instanceof Promise) ? Promise.all(looked).then(pick) : pick(looked as (Kept | undefined | null)[]);
    });
  }

  /** `me` edits their own line (`found`) to read `text`: kept, then told to its room, or to the conversation's two. */
  edit(me: Member, found: FoundLine, text: string, ts: number): Maybe<ErrorEvent | undefined> {
    const { line } = found;
    if (!ownsLine(me, line.event)) return error("not-allowed", `That line is ${line.event.from}'s: you can edit only your own.`);
    if (text === line.event.text) return undefined;
    return then(settled(this.hub.history!.edit(keyOf(found), line.event.id, text, ts)), (now) => {
      if (now === null) return storeFailed();
      if (now === undefined) return noSuchLine();
      this.told(me, found, { type: "edit", room: "", id: line.event.id, text, by: me.name, of: line.event.from, at: line.event.ts, ts });
      return undefined;
    });
  }

  /**
   * `me` deletes a line (`found`): their own, or in a room anyone's as one of its operators or a
   * server admin (a private line only its sender: nobody else may read the conversation).
   */
  remove(me: Member, found: FoundLine, reason: string | undefined, ts: number): Maybe<ErrorEvent | undefined> {
    const { room, line } = found;
    const own = ownsLine(me, line.event);
    if (!own && !room) return error("not-allowed", `That line is ${line.event.from}'s: only they can delete it.`);
    if (!own && room && !this.hub.rules.isOp(me, room) && !this.hub.isAdmin(me)) {
      return error("not-allowed", `That line is ${line.event.from}'s: only they, ${room.name}'s operators and server admins can delete it.`);
    }
    return then(settled(this.hub.history!.remove(keyOf(found), line.event.id)), (gone) => {
      if (gone === null) return storeFailed();
      if (gone === undefined) return noSuchLine();
      // A line that shared a file takes the file with it.
      if (line.event.file && this.hub.files) void settled(this.hub.files.forget(line.event.file.id));
      this.told(me, found, { type: "delete", room: "", id: line.event.id, by: me.name, of: line.event.from, at: line.event.ts, ...(reason ? { reason } : {}), ts });
      return undefined;
    });
  }

  /**
   * A change `me` made to a line, told where the line is: its room (and the other nodes), or the
   * two of its conversation, each with the conversation named as they see it ("@" and the other).
   */
  private told(me: Member, found: FoundLine, change: Extract<LineChange, { type: "edit" | "delete" }>): void {
    if (found.room) return this.tell(found.room, { ...change, room: found.room.name }, true);
    const mine = { ...change, room: `@${found.talk.other}` };
    for (const d of me.devices) d.tell(mine);
    const other = this.hub.find(found.talk.other);
    if (other && other.account !== undefined && other.account === otherIn(found.talk.key, me.account ?? "")) {
      this.hub.send(other, { ...change, room: `@${me.name}` });
    }
  }

  /**
   * `me` puts `emoji` on `line` of `room`, or takes it back if it is theirs already (`on`: only
   * put on, or only taken back, as IRC's react and unreact say). Bounded per line and per person.
   */
  react(me: Member, room: Room, line: Kept & { event: Said }, emoji: string, ts: number, on?: boolean): Maybe<ErrorEvent | undefined> {
    const reactions = line.event.reactions ?? [];
    const mine = reactions.find((r) => r.emoji === emoji)?.names.includes(me.name) ?? false;
    const put = on ?? !mine;
    if (put === mine) return undefined; // nothing changes
    if (put) {
      const refusal = tooMany(reactions, me.name, emoji);
      if (refusal) return refusal;
    }
    return then(settled(this.hub.history!.react(room.name, line.event.id, me.name, emoji, put, ts)), (now) => {
      if (now === null) return storeFailed();
      if (now === undefined || now.event.type === "topic") return noSuchLine();
      const count = now.event.reactions?.find((r) => r.emoji === emoji)?.names.length ?? 0;
      this.tell(room, { type: "react", room: room.name, id: line.event.id, emoji, from: me.name, on: put, count, of: line.event.from, at: line.event.ts, excerpt: excerpt(line.event.text), ts }, true);
      return undefined;
    });
  }

  /** /reactions: who put which emoji on `line`. */
  reactions(room: Room, line: Kept & { event: Said }): ServerEvent {
    return { type: "reactions", room: room.name, id: line.event.id, of: line.event.from, at: line.event.ts, excerpt: excerpt(line.event.text), reactions: line.event.reactions ?? [] };
  }

  /**
   * A change told to everyone here in its room (`here`: made on this node, so relayed to the
   * others too). IRC clients get it in their own words (a REDACT for those that asked for it).
   */
  tell(room: Room | undefined, event: LineChange, here: boolean): void {
    if (here) this.hub.bus?.relay(event);
    if (room) this.hub.tellRoom(room, event, event.type === "react" ? { from: event.from } : {});
  }
}

/** Where a line someone named is kept: its room's name, or its conversation's key. */
function keyOf(found: FoundLine): string {
  return found.room ? found.room.name : found.talk.key;
}

/** Why one more reaction by `name` of `emoji` would be too many on a line, if it would. */
function tooMany(reactions: readonly Reaction[], name: string, emoji: string): ErrorEvent | undefined {
  const total = reactions.reduce((n, r) => n + r.names.length, 0);
  if (total >= REACTIONS_PER_LINE) return error("not-allowed", `That line has as many reactions as it can hold (${REACTIONS_PER_LINE}).`);
  if (!reactions.some((r) => r.emoji === emoji) && reactions.length >= EMOJI_PER_LINE) {
    return error("not-allowed", `That line has ${EMOJI_PER_LINE} different reactions already: add one of those.`);
  }
  if (reactions.filter((r) => r.names.includes(name)).length >= EMOJI_PER_PERSON) {
    return error("not-allowed", `You have ${EMOJI_PER_PERSON} reactions on that line already: take one back first.`);
  }
  return undefined;
}
