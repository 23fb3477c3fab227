// What each command does. Names, usage and help live in the shared table (protocol/commands.ts);
// this is the server's half of it, and the type makes sure no command is left without a handler.
// Chat, rooms and history are here; registered names in account-commands.ts, moderation in
// moderation.ts; what they share in command-kit.ts.

import { fileCommands } from "./files.ts";
import { type CommandName, lookupCommand, splitFirst, suggestCommand } from "../../protocol/commands.ts";
import { type ErrorEvent, type HistoryLine, type MessageId, messageIdOf, type ServerEvent, type TypingState } from "../../protocol/events.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { foldName, isNamePrefix } from "../../protocol/names.ts";
import { sanitizeMessage, sanitizeText } from "../../protocol/sanitize.ts";
import type { Member, Room } from "../room.ts";
import type { Replay } from "../keeping.ts";
import {
  chain,
  HISTORY_PAGE_MAX,
  HISTORY_REPLY_BYTES,
  type Kept,
  type Maybe,
  parseSearch,
  queryText,
  settled,
  then,
} from "../../store/history.ts";
import {
  badUsage,
  type CommandContext,
  error,
  type Handler,
  mayRun,
  notInRoom,
  reason,
  say,
  unknownUser,
} from "./kit.ts";
import { accountCommands } from "./accounts.ts";
import { lineCommands } from "./lines.ts";
import { storeFailed } from "../messages.ts";
import { moderationCommands } from "./moderation.ts";
import { tokenCommands } from "./tokens.ts";
import { markerCommands } from "./markers.ts";
import { markerKey, unreadIn } from "../markers.ts";
import { shownTo, visibleTo } from "../conversations.ts";
import { tellTypingInRoom, tellTypingTo } from "../typing.ts";
import { roomCommands } from "./rooms.ts";

/** Lines /history shows when not told how many. */
export const HISTORY_DEFAULT = 50;

export type { CommandContext } from "./kit.ts";
export { error, notInRoom, say, unknownUser } from "./kit.ts";
export { ignoreList, MAX_IGNORES } from "./accounts.ts";

const chatCommands = {
  pm(ctx, args) {
    const [target, rawText] = splitFirst(args);
    if (target === "") return badUsage(ctx, "pm", "Say who the message is for.");
    const to = ctx.hub.find(target);
    if (!to) return sendKept(ctx, target, rawText, "pm", unknownUser(target));
    sendPrivate(ctx, to, rawText, "pm");
  },
  reply(ctx, args) {
    const to = ctx.me.lastPmFrom;
    if (!to) return ctx.reply(error("unknown-user", "Nobody has sent you a private message yet."));
    if (ctx.hub.find(to.name) !== to) return sendKept(ctx, to.name, args, "reply", error("unknown-user", `${to.name} is no longer online.`));
    sendPrivate(ctx, to, args, "reply");
  },
  typing(ctx, args) {
    // "/typing", "/typing done", "/typing #dev", "/typing paused Sam"
    const words = args.split(/\s+/).filter((w) => w !== "");
    const state: TypingState = words[0] === "active" || words[0] === "paused" || words[0] === "done" ? (words.shift() as TypingState) : "active";
    if (words.length > 1) return badUsage(ctx, "typing", "Say active, paused or done, and where (a room you are in, or a name).");
    const target = words[0];
    const ts = ctx.now();
    if (target !== undefined && !target.startsWith("#")) {
      const to = ctx.hub.find(target);
      if (!to) return ctx.reply(unknownUser(target));
      if (to === ctx.me || !ctx.hub.typing.due(ctx.me, `@${foldName(to.name)}`, state, ts)) return;
      const event = { type: "typing", id: ctx.hub.nextId(), from: ctx.me.name, state, ts } as const;
      if (to.node !== undefined) return void ctx.hub.bus?.sendPrivate(to, event);
      return tellTypingTo(to, event);
    }
    const room = target !== undefined ? ctx.hub.room(target) : ctx.device.room;
    if (!room || !room.has(ctx.me)) return ctx.reply(target !== undefined ? error("not-in-room", `You are not in ${sanitizeText(target).slice(0, 40)}.`) : notInRoom());
    // Someone who may not speak there is not shown typing either (nothing to say why: it is advisory).
    if (!ctx.hub.rules.maySpeak(ctx.me, room)) return;
    if (!ctx.hub.typing.due(ctx.me, room.name, state, ts)) return;
    const event = { type: "typing", id: ctx.hub.nextId(), room: room.name, from: ctx.me.name, state, ts } as const;
    tellTypingInRoom(room, event, ctx.me);
    ctx.hub.bus?.relay(event);
  },
  me(ctx, args) {
    const text = sanitizeMessage(args);
    if (text === "") return badUsage(ctx, "me", "Say what you are doing.");
    const room = ctx.device.room;
    if (!room) return ctx.reply(notInRoom());
    const refused = say(ctx, room, { type: "action", id: ctx.hub.nextId(), room: room.name, from: ctx.me.name, text, ts: ctx.now() });
    if (refused) ctx.reply(refused);
  },
  join(ctx, args) {
    const [typed, rest] = splitFirst(args);
    const [key] = splitFirst(rest);
    if (typed === "") return badUsage(ctx, "join", "Say which room.");
    const name = typed.startsWith("#") ? typed : `#${typed}`; // "/join dev" is #dev
    // A room's past is asked for before joining it (Redis answers later: this user's lines wait).
    const known = ctx.hub.room(name);
    const replay = known?.has(ctx.me) ? undefined : ctx.hub.keeping.replay(name, ctx.hub.markers.get(ctx.me, name));
    ctx.after(replay, (past) => {
      const result = ctx.hub.join(ctx.me, name, ctx.now(), true, past, undefined, key === "" ? undefined : key, ctx.device);
      if (!result.ok) return ctx.reply(result.error);
      const { room, joined } = result;
      ctx.reply(room.event(joined));
      if (!joined) return;
      showReplay(ctx, room, past);
      ctx.log(`+ ${ctx.me.name} joined ${room.name}, ${room.size} in it`);
    });
  },
  part(ctx, args) {
    const [first, rest] = splitFirst(args);
    const named = first.startsWith("#");
    const room = named ? ctx.hub.room(first) : ctx.device.room;
    if (!room || !ctx.me.rooms.includes(room)) {
      const none = "You are in no room, so there is none to leave: /join one (/rooms lists them).";
      return ctx.reply(error("not-in-room", named ? `You are not in ${sanitizeText(first).slice(0, 40)}.` : none));
    }
    const message = reason(named ? rest : args);
    ctx.hub.part(ctx.me, room, message, ctx.now(), "parted", ctx.device);
    ctx.historyFrom.delete(room.name);
    const current = ctx.device.room;
    ctx.reply({ type: "parted", room: room.name, ...(current ? { current: current.name } : {}) });
    ctx.log(`- ${ctx.me.name} left ${room.name}`);
  },
  rooms(ctx, args) {
    const prefix = args.split(/\s/)[0]!.toLowerCase().replace(/^#?/, "#");
    if (prefix.length > LIMITS.roomNameMaxLength + 1 || !/^#[a-z0-9_-]*$/.test(prefix)) {
      return badUsage(ctx, "rooms", "Room names hold only a-z, 0-9, _ and - after the #, so none starts with that.");
    }
    const list = ctx.hub.roomList(ctx.me, prefix === "#" ? "" : prefix);
    if (list.type !== "rooms") return ctx.reply(list);
    // What is unread in one's own rooms among them (those with a read marker).
    const mine = ctx.me.rooms.filter((r) => list.rooms.some((info) => info.name === r.name));
    ctx.after(unreadIn(ctx.me, ctx.hub.history, mine), (unread) => {
      ctx.reply({ ...list, rooms: list.rooms.map((info) => (unread[info.name] ? { ...info, unread: unread[info.name] } : info)) });
    });
  },
  topic(ctx, args) {
    const room = ctx.device.room;
    if (!room) return ctx.reply(notInRoom());
    if (args === "") return ctx.reply({ type: "topic-is", room: room.name, ...(room.topic ? { topic: room.topic } : {}) });
    if (args === "lock" || args === "unlock") {
      if (!ctx.hub.rules.isOp(ctx.me, room)) return ctx.reply(error("not-allowed", "Only a room's operators can lock or unlock its topic."));
      const locked = args === "lock";
      const text = locked ? `${ctx.me.name} locked the topic of ${room.name}: only operators may set it.` : `${ctx.me.name} unlocked the topic of ${room.name}.`;
      ctx.hub.rules.setRoles(room, (r) => ({ ...r, locked }), { text, by: ctx.me.name, mode: true });
      return ctx.log(`! ${text}`);
    }
    if (room.roles.locked && !ctx.hub.rules.isOp(ctx.me, room)) {
      return ctx.reply(error("not-allowed", `The topic of ${room.name} is locked: only its operators may set it.`));
    }
    const text = args === "-" ? "" : sanitizeText(args).trim();
    if (text === "" && args !== "-") return badUsage(ctx, "topic", "Nothing left once control characters are removed.");
    const length = [...text].length;
    if (length > LIMITS.topicMaxLength) {
      return ctx.reply(
        error("topic-too-long", `A topic can be at most ${LIMITS.topicMaxLength} characters; that one has ${length}.`),
      );
    }
    ctx.hub.setTopic(room, text, ctx.me, ctx.now());
    ctx.log(text === "" ? `~ ${ctx.me.name} cleared the topic of ${room.name}` : `~ ${ctx.me.name} set the topic of ${room.name}: ${text}`);
  },
  history(ctx, args) {
    const store = ctx.hub.history;
    if (!store) return ctx.reply(noHistory());
    // "/history", "/history 100", "/history #dev 100", "/history Sam 100", "/history #dev after 1234 [200]"
    const words = args.split(/\s+/).filter((w) => w !== "");
    const named = words[0] !== undefined && !/^[0-9]+$/.test(words[0]) && words[0].toLowerCase() !== "after" ? words.shift()! : undefined;
    let after: MessageId | undefined;
    if (words[0]?.toLowerCase() === "after") {
      after = messageIdOf(words[1]);
      if (after === undefined) return badUsage(ctx, "history", "Say after which line, by its id: /history #dev after 1234.");
      words.splice(0, 2);
    }
    if (words.length > 1 || (words[0] !== undefined && !/^[0-9]{1,9}$/.test(words[0]))) return badUsage(ctx, "history", "Say how many lines, as a number.");
    const count = Math.min(HISTORY_PAGE_MAX, words[0] === undefined ? (after === undefined ? HISTORY_DEFAULT : HISTORY_PAGE_MAX) : Math.max(1, Number(words[0])));
    ctx.after(historyPlace(ctx, named), (place) => {
      if ("type" in place) return ctx.reply(place);
      const answer = (lines: Kept[], more: boolean) =>
        ctx.reply({ type: "history", room: place.name, why: "request", events: lines.flatMap((k) => place.shown(k)), more, ts: ctx.now(), ...(after !== undefined ? { after } : {}) });
      if (after !== undefined) {
        // What came after a line this connection had (a device back after a drop): oldest first, `more` when there is more after.
        const read = chain(store.find(place.key, after), (line): Maybe<Kept[] | "unknown"> =>
          line ? chain(store.after(place.key, count + 1, line.id), (lines) => (place.room ? ctx.hub.keeping.quoted(place.key, lines) : lines)) : "unknown",
        );
        return ctx.after(settled(read), (lines) => {
          if (lines === null) return ctx.reply(storeFailed());
          if (lines === "unknown") return ctx.reply(error("unknown-line", `There is no line ${String(after)} in ${place.name} (or it is no longer kept): /history shows its last lines.`));
          const shown = fitReply(lines.slice(0, count), true);
          answer(shown, lines.length > shown.length);
        });
      }
      const from = ctx.historyFrom.get(place.paging);
      // One more than asked for: whether there are more still. Nothing shown yet here: the newest.
      const read = from === undefined ? store.recent(place.key, count + 1) : store.before(place.key, count + 1, from);
      const found = chain(read, (lines) => (place.room ? ctx.hub.keeping.quoted(place.key, lines) : lines));
      ctx.after(settled(found), (lines) => {
        if (!lines) return ctx.reply(storeFailed());
        const shown = fitReply(lines.slice(Math.max(0, lines.length - count)));
        if (shown.length > 0 && place.stays) ctx.historyFrom.set(place.paging, shown[0]!.id);
        answer(shown, lines.length > shown.length);
      });
    });
  },
  search(ctx, args) {
    const store = ctx.hub.history;
    if (!store) return ctx.reply(noHistory());
    const query = parseSearch(args);
    if ("error" in query) return badUsage(ctx, "search", query.error);
    const account = ctx.me.account;
    // Its kept conversations too (a registered user's): searched with its rooms, and shown as it sees them.
    ctx.after(account === undefined ? [] : ctx.hub.conversations.talks(account), (listed) => {
      const talks = listed ?? []; // the conversations can't be read now: the rooms are searched all the same
      if (ctx.me.rooms.length === 0 && talks.length === 0) return ctx.reply(notInRoom());
      const others = new Map(talks.map((t) => [t.key, t.other]));
      const found = chain(store.search([...ctx.me.rooms.map((r) => r.name), ...others.keys()], query), (hits) => ctx.hub.keeping.quotedAll(hits));
      ctx.after(settled(found), (hits) => {
        if (!hits) return ctx.reply(storeFailed());
        const events = fitReply(hits.reverse())
          .reverse() // newest first, as many as fit
          .flatMap((k): HistoryLine[] => (k.event.type !== "private" ? [k.event] : visibleTo(ctx.me, k.event) ? [shownTo(k.event, account!, others.get(k.event.room) ?? "?")] : []));
        ctx.reply({ type: "search", query: queryText(query), events, ts: ctx.now() });
      });
    });
  },
  nick(ctx, args) {
    if (args === "") return badUsage(ctx, "nick", "Say which name you want.");
    const muted = ctx.me.rooms.find((r) => ctx.hub.rules.isMutedIn(ctx.me, r));
    if (muted) return ctx.reply(error("not-allowed", `You are muted in ${muted.name}: you can't change your name meanwhile.`));
    ctx.rename(args);
  },
  away(ctx, args) {
    const why = reason(args) ?? "away";
    ctx.hub.setAway(ctx.me, why);
    ctx.reply({ type: "away", reason: why });
  },
  back(ctx) {
    ctx.hub.setAway(ctx.me, undefined);
    ctx.reply({ type: "away", reason: null });
  },
  users(ctx, args) {
    const [first, rest] = splitFirst(args);
    const everyone = first === "*";
    const prefix = (everyone ? rest : first).split(/\s/)[0]!;
    if (prefix !== "" && !isNamePrefix(prefix)) {
      return badUsage(ctx, "users", `Names hold only A-Z, a-z, 0-9, _ and -, so none starts with that.`);
    }
    // In no room, /users lists everyone.
    ctx.reply(ctx.hub.users(everyone ? undefined : ctx.device.room, prefix));
  },
  help(ctx, args) {
    if (args === "") return ctx.reply({ type: "help" });
    const name = lookupCommand(args.replace(/^\//, ""));
    if (!name) {
      return ctx.reply(
        error("unknown-command", `There is no command "${sanitizeText(args).slice(0, 32)}". /help lists them.`),
      );
    }
    ctx.reply({ type: "help", command: name });
  },
  ping(ctx, args) {
    ctx.reply({ type: "pong", token: sanitizeText(args) });
  },
  quit(ctx) {
    ctx.quit();
  },} satisfies Record<string, Handler>;

/** Every command's handler: a command without one does not compile. */
const handlers: Record<CommandName, Handler> = { ...chatCommands, ...fileCommands, ...lineCommands, ...accountCommands, ...moderationCommands, ...roomCommands, ...tokenCommands, ...markerCommands };

/** Runs "/word args" for a joined user. */
export function runCommand(ctx: CommandContext, word: string, args: string): void {
  const name = lookupCommand(word);
  if (!name) return ctx.reply(unknownCommand(word));
  const refused = mayRun(ctx, name, args);
  if (refused) return ctx.reply(refused);
  handlers[name](ctx, args);
}

/** "/pmm": not a command, and which one was probably meant. */
export function unknownCommand(word: string): ErrorEvent {
  const shown = sanitizeText(word).slice(0, 32);
  const hint = suggestCommand(word);
  const didYouMean = hint ? ` Did you mean ${hint}?` : "";
  return error(
    "unknown-command",
    `Unknown command "/${shown}".${didYouMean} /help lists the commands; start a message with // to send a leading /.`,
  );
}

/** The last lines of a room its joiner is shown, after the room itself (or the welcome). */
export function showReplay(
  ctx: Pick<CommandContext, "reply" | "historyFrom" | "now">,
  room: Room,
  replay: Replay | undefined,
): void {
  ctx.historyFrom.delete(room.name);
  if (!replay || replay.kept.length === 0) return;
  ctx.historyFrom.set(room.name, replay.kept[0]!.id);
  const events = replay.kept.map((k) => k.event);
  ctx.reply({ type: "history", room: room.name, why: "join", events, more: replay.more, ts: ctx.now(), ...(replay.since !== undefined ? { since: replay.since } : {}) });
}

/** Where /history reads: a room's or a conversation's lines, how they are shown, where its paging is kept. */
interface HistoryPlace {
  key: string;
  /** As the history event names it: "#dev", or "@Sam". */
  name: string;
  room: boolean;
  /** Where this connection's paging back is kept ("#dev", "@sam"). */
  paging: string;
  /** Whether its paging is kept (a room one is in; a conversation). */
  stays: boolean;
  shown(line: Kept): HistoryLine[];
}

/** The room /history names (one the user is in; none: the current one), or its conversation with a name; or why neither. */
function historyPlace(ctx: CommandContext, named: string | undefined): Maybe<HistoryPlace | ErrorEvent> {
  if (named !== undefined && !named.startsWith("#")) {
    return then(ctx.hub.conversations.find(ctx.me, named), (talk) =>
      "type" in talk
        ? talk
        : { key: talk.key, name: `@${talk.other}`, room: false, paging: markerKey(talk.other), stays: true, shown: (k: Kept) => (k.event.type === "private" && visibleTo(ctx.me, k.event) ? [shownTo(k.event, ctx.me.account!, talk.other)] : []) },
    );
  }
  const room = named !== undefined ? ctx.hub.room(named) : ctx.device.room;
  if (named !== undefined && (!room || !room.has(ctx.me))) return error("not-in-room", `You are not in ${sanitizeText(named).slice(0, 40)}: /history shows rooms you are in.`);
  if (!room) return notInRoom();
  return { key: room.name, name: room.name, room: true, paging: room.name, stays: ctx.me.rooms.includes(room), shown: (k: Kept) => (k.event.type === "private" ? [] : [k.event]) };
}

/** The newest of `kept` (oldest first; `oldest`: the oldest) that fit in one reply: a client takes lines of up to 1 MiB. */
function fitReply(kept: Kept[], oldest = false): Kept[] {
  let bytes = 0;
  for (let n = 0; n < kept.length; n++) {
    const i = oldest ? n : kept.length - 1 - n;
    bytes += kept[i]!.event.text.length * 2 + 100; // escaped JSON at worst, and the fields around it
    if (bytes > HISTORY_REPLY_BYTES) return oldest ? kept.slice(0, n) : kept.slice(i + 1);
  }
  return kept;
}

function noHistory(): ErrorEvent {
  return error("no-history", "This server keeps no history.");
}


/**
 * /pm and /reply to a registered name that is not online, from a registered user: kept in their
 * conversation, shown to them when they come back (conversations.ts). Else `offline`, the refusal.
 */
function sendKept(ctx: CommandContext, target: string, rawText: string, command: CommandName, offline: ErrorEvent): void {
  if (ctx.me.account === undefined || !ctx.hub.conversations.keeping) return ctx.reply(offline);
  const text = sanitizeMessage(rawText);
  ctx.after(ctx.hub.conversations.find(ctx.me, target), (talk) => {
    if ("type" in talk) return ctx.reply(talk.code === "no-history" ? talk : offline); // a name not registered: as before
    if (text.trim() === "") return badUsage(ctx, command, `Nothing to send to ${talk.other}.`);
    const ts = ctx.now();
    const id = ctx.hub.nextId();
    ctx.hub.conversations.keepIn(talk.key, ctx.me.name, { id, text, ts });
    sentPrivately(ctx, { type: "private-sent", id, to: talk.other, text, ts }, true);
    ctx.reply({ type: "notice", text: `${talk.other} is not online: it is kept for them, and shown when they come back.`, ts });
    ctx.log(`[Private message from ${ctx.me.name} to ${talk.other}, kept for later]`);
  });
}

/**
 * A private message sent: the sender's copy, and its other devices told (`elsewhere`). One kept is
 * read by its sender as it is sent (its marker moves).
 */
function sentPrivately(ctx: CommandContext, sent: Extract<ServerEvent, { type: "private-sent" }>, kept: boolean): void {
  if (kept) ctx.hub.markers.move(ctx.me, sent.to, sent.ts, ctx.device);
  ctx.reply(sent);
  for (const d of ctx.me.devices) if (d !== ctx.device) d.tell({ ...sent, elsewhere: true });
}

/** /pm and /reply: to one member only, with the sender's copy; an away member's reason goes back. */
function sendPrivate(ctx: CommandContext, to: Member, rawText: string, command: CommandName): void {
  if (to === ctx.me) return ctx.reply(error("bad-usage", "You can't send a private message to yourself."));
  const text = sanitizeMessage(rawText);
  if (text === "") return badUsage(ctx, command, `Nothing to send to ${to.name}.`);
  const ts = ctx.now();
  const id = ctx.hub.nextId();
  const tags = { ...(ctx.notice ? { notice: true as const } : {}), ...(ctx.tags ? { tags: ctx.tags } : {}) };
  if (!ctx.hub.send(to, { type: "private", id, from: ctx.me.name, text, ts, ...tags }, ctx.me)) {
    return ctx.reply(
      error("unreachable", `${to.name} is on another server, which can't be reached right now; not sent.`),
    );
  }
  to.lastPmFrom = ctx.me;
  ctx.hub.typing.said(ctx.me, `@${foldName(to.name)}`);
  // Kept for the two (registered both; not a notice, a bot's convention).
  const kept = !ctx.notice && ctx.hub.conversations.keep(ctx.me, to, { id, text, ts });
  sentPrivately(ctx, { type: "private-sent", id, to: to.name, text, ts, ...tags }, kept);
  const away = ctx.hub.awayReason(to);
  if (away !== undefined) ctx.reply({ type: "away-notice", name: to.name, reason: away });
  ctx.log(`[Private message from ${ctx.me.name} to ${to.name}]`);
}
