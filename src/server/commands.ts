// What each command does. Names, usage and help live in the shared table (protocol/commands.ts);
// this is the server's half of it, and the type makes sure no command is left without a handler.

import { type CommandName, COMMANDS, lookupCommand, splitFirst, suggestCommand } from "../protocol/commands.ts";
import type { ErrorEvent, ServerEvent } from "../protocol/events.ts";
import type { Encoded } from "../protocol/codec.ts";
import { LIMITS } from "../protocol/limits.ts";
import { foldName, hasNameShape, isNamePrefix } from "../protocol/names.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import type { Hub, Member, Replay } from "./hub.ts";
import { type Ban, MAX_BANS, parseDuration } from "../store/bans.ts";
import {
  type Cursor,
  HISTORY_PAGE_MAX,
  HISTORY_REPLY_BYTES,
  type Kept,
  type Maybe,
  parseSearch,
  queryText,
} from "../store/history.ts";
import type { Room } from "./room.ts";

/** What a command may touch: the hub, its own session, the clock and the log. */
export interface CommandContext {
  readonly me: Member;
  readonly hub: Hub;
  /** An event for this user only; an Encoded one is shared (the /users reply, encoded once per change). */
  reply(event: ServerEvent | Encoded): void;
  quit(): void;
  /** /nick: checks the name like a first one, renames, tells everyone. */
  rename(to: string): void;
  now(): number;
  log(line: string): void;
  /** Per room this user is in: where its /history goes on from (the earliest line it has been shown). */
  readonly historyFrom: Map<string, Cursor>;
  /**
   * Goes on with `value` at once, or once it comes (a store in Redis): this user's next lines wait
   * meanwhile, so that answers come in the order asked.
   */
  after<T>(value: Maybe<T>, then: (value: T) => void): void;
}

/** Lines /history shows when not told how many. */
export const HISTORY_DEFAULT = 50;

type Handler = (ctx: CommandContext, args: string) => void;

const usage = (name: CommandName) => COMMANDS.find((c) => c.name === name)!.usage;

const handlers: Record<CommandName, Handler> = {
  pm(ctx, args) {
    const [target, rawText] = splitFirst(args);
    if (target === "") return badUsage(ctx, "pm", "Say who the message is for.");
    const to = ctx.hub.find(target);
    if (!to) return ctx.reply(unknownUser(target));
    sendPrivate(ctx, to, rawText, "pm");
  },
  reply(ctx, args) {
    const to = ctx.me.lastPmFrom;
    if (!to) return ctx.reply(error("unknown-user", "Nobody has sent you a private message yet."));
    if (ctx.hub.find(to.name) !== to) {
      return ctx.reply(error("unknown-user", `${to.name} is no longer online.`));
    }
    sendPrivate(ctx, to, args, "reply");
  },
  me(ctx, args) {
    const text = sanitizeText(args).trim();
    if (text === "") return badUsage(ctx, "me", "Say what you are doing.");
    const room = ctx.me.room;
    if (!room) return ctx.reply(notInRoom());
    ctx.hub.say(room, { type: "action", room: room.name, from: ctx.me.name, text, ts: ctx.now() }, ctx.me);
    ctx.log(`* ${ctx.me.name} ${text}${ctx.hub.inRoom(room)}`);
  },
  join(ctx, args) {
    const [name] = splitFirst(args);
    if (name === "") return badUsage(ctx, "join", "Say which room.");
    // A room's past is asked for before joining it (Redis answers later: this user's lines wait).
    const known = ctx.hub.room(name);
    const replay = known?.has(ctx.me) ? undefined : ctx.hub.replay(name);
    ctx.after(replay, (past) => {
      const result = ctx.hub.join(ctx.me, name, ctx.now(), true, past);
      if (!result.ok) return ctx.reply(result.error);
      const { room, joined } = result;
      ctx.reply(roomEvent(room, joined));
      if (!joined) return;
      showReplay(ctx, room, past);
      ctx.log(`+ ${ctx.me.name} joined ${room.name}, ${room.size} in it`);
    });
  },
  part(ctx, args) {
    const [first, rest] = splitFirst(args);
    const named = first.startsWith("#");
    const room = named ? ctx.hub.room(first) : ctx.me.room;
    if (!room || !ctx.me.rooms.includes(room)) {
      return ctx.reply(named ? error("not-in-room", `You are not in ${sanitizeText(first).slice(0, 40)}.`) : notInRoom());
    }
    const message = reason(named ? rest : args);
    ctx.hub.part(ctx.me, room, message, ctx.now());
    ctx.historyFrom.delete(room.name);
    const current = ctx.me.room;
    ctx.reply({ type: "parted", room: room.name, ...(current ? { current: current.name } : {}) });
    ctx.log(`- ${ctx.me.name} left ${room.name}`);
  },
  rooms(ctx, args) {
    const prefix = args.split(/\s/)[0]!.toLowerCase().replace(/^#?/, "#");
    if (prefix.length > LIMITS.roomNameMaxLength + 1 || !/^#[a-z0-9_-]*$/.test(prefix)) {
      return badUsage(ctx, "rooms", "Room names hold only a-z, 0-9, _ and - after the #, so none starts with that.");
    }
    ctx.reply(ctx.hub.roomList(prefix === "#" ? "" : prefix));
  },
  topic(ctx, args) {
    const room = ctx.me.room;
    if (!room) return ctx.reply(notInRoom());
    if (args === "") return ctx.reply({ type: "topic-is", room: room.name, ...(room.topic ? { topic: room.topic } : {}) });
    if (args === "lock" || args === "unlock") {
      if (!ctx.hub.isOp(ctx.me, room)) return ctx.reply(error("not-allowed", "Only a room's operators can lock or unlock its topic."));
      const locked = args === "lock";
      ctx.hub.setRoles(
        room,
        (r) => ({ ...r, locked }),
        locked ? `${ctx.me.name} locked the topic of ${room.name}: only operators may set it.` : `${ctx.me.name} unlocked the topic of ${room.name}.`,
      );
      return;
    }
    if (room.roles.locked && !ctx.hub.isOp(ctx.me, room)) {
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
    const room = ctx.me.room;
    if (!room) return ctx.reply(notInRoom());
    const [first] = splitFirst(args);
    if (first !== "" && !/^[0-9]{1,9}$/.test(first)) return badUsage(ctx, "history", "Say how many lines, as a number.");
    const count = Math.min(HISTORY_PAGE_MAX, first === "" ? HISTORY_DEFAULT : Math.max(1, Number(first)));
    const from = ctx.historyFrom.get(room.name);
    // One more than asked for: whether there are more still. Nothing shown yet here: the newest.
    const found = from === undefined ? store.recent(room.name, count + 1) : store.before(room.name, count + 1, from);
    ctx.after(settled(found), (lines) => {
      if (!lines) return ctx.reply(storeFailed());
      const shown = fitReply(lines.slice(Math.max(0, lines.length - count)));
      if (shown.length > 0 && ctx.me.rooms.includes(room)) ctx.historyFrom.set(room.name, shown[0]!.id);
      ctx.reply({
        type: "history",
        room: room.name,
        why: "request",
        events: shown.map((k) => k.event),
        more: lines.length > shown.length,
        ts: ctx.now(),
      });
    });
  },
  search(ctx, args) {
    const store = ctx.hub.history;
    if (!store) return ctx.reply(noHistory());
    const query = parseSearch(args);
    if ("error" in query) return badUsage(ctx, "search", query.error);
    if (ctx.me.rooms.length === 0) return ctx.reply(notInRoom());
    const found = store.search(
      ctx.me.rooms.map((r) => r.name),
      query,
    );
    ctx.after(settled(found), (hits) => {
      if (!hits) return ctx.reply(storeFailed());
      const events = fitReply(hits.reverse()).reverse().map((k) => k.event); // newest first, as many as fit
      ctx.reply({ type: "search", query: queryText(query), events, ts: ctx.now() });
    });
  },
  register(ctx, args) {
    const { accounts, passwords } = ctx.hub;
    if (!accounts) return ctx.reply(noAccounts());
    const problem = passwordProblem(args);
    if (problem) return badUsage(ctx, "register", problem);
    const me = ctx.me;
    if (me.account !== undefined) {
      return ctx.reply(error("name-registered", `${me.name} is registered already; /passwd changes its password.`));
    }
    const name = me.name;
    const key = foldName(name);
    ctx.after(
      outcome(async () => {
        const taken = await accounts.get(key);
        if (taken) return error("name-registered", `${taken.name} was registered meanwhile.`);
        const hash = await hashed(passwords.hash(args));
        if (typeof hash !== "string") return hash;
        await accounts.put(key, { name, hash, created: ctx.now() });
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        me.account = key;
        ctx.reply({ type: "notice", text: `${name} is registered: joining as ${name} asks for this password from now on.`, ts: ctx.now() });
        ctx.log(`~ ${name} registered their name`);
      },
    );
  },
  passwd(ctx, args) {
    const { accounts, passwords } = ctx.hub;
    if (!accounts) return ctx.reply(noAccounts());
    const me = ctx.me;
    const key = me.account;
    if (key === undefined) return ctx.reply(error("login-failed", `${me.name} is not registered: /register makes it yours.`));
    const [old, fresh] = splitFirst(args);
    if (old === "" || fresh === "") return badUsage(ctx, "passwd", "Give your password, then the new one.");
    const problem = passwordProblem(fresh);
    if (problem) return badUsage(ctx, "passwd", problem);
    ctx.after(
      outcome(async () => {
        const account = await accounts.get(key);
        if (!account) return error("login-failed", `${me.name} is no longer registered.`);
        const ok = await hashed(passwords.verify(old, account.hash));
        if (ok !== true) return ok === false ? error("login-failed", "That is not your password; nothing changed.") : ok;
        const hash = await hashed(passwords.hash(fresh));
        if (typeof hash !== "string") return hash;
        await accounts.put(key, { ...account, hash });
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        ctx.reply({ type: "notice", text: `The password of ${me.name} is changed.`, ts: ctx.now() });
        ctx.log(`~ ${me.name} changed their password`);
      },
    );
  },
  unregister(ctx, args) {
    const { accounts, passwords } = ctx.hub;
    if (!accounts) return ctx.reply(noAccounts());
    if (args === "") return badUsage(ctx, "unregister", "Give your password to confirm.");
    const me = ctx.me;
    const key = me.account;
    if (key === undefined) return ctx.reply(error("login-failed", `${me.name} is not registered.`));
    ctx.after(
      outcome(async () => {
        const account = await accounts.get(key);
        if (!account) return undefined; // gone already
        const ok = await hashed(passwords.verify(args, account.hash));
        if (ok !== true) return ok === false ? error("login-failed", "That is not your password; nothing changed.") : ok;
        await accounts.remove(key);
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        me.account = undefined;
        ctx.reply({ type: "notice", text: `${me.name} is no longer registered: anyone may use it once you leave.`, ts: ctx.now() });
        ctx.log(`~ ${me.name} gave up their registered name`);
      },
    );
  },
  ignore(ctx, args) {
    const [name] = splitFirst(args);
    const me = ctx.me;
    if (name === "") {
      const list = [...(me.ignoring ?? [])].sort();
      const text =
        list.length === 0
          ? "You ignore nobody. /ignore <name> hides someone's lines and private messages from you."
          : `You ignore ${list.length}: ${list.join(", ")}. /unignore <name> undoes it.`;
      return ctx.reply({ type: "notice", text, ts: ctx.now() });
    }
    if (!hasNameShape(name)) return badUsage(ctx, "ignore", "Names hold only A-Z, a-z, 0-9, _ and -.");
    const key = foldName(name);
    if (key === foldName(me.name)) return badUsage(ctx, "ignore", "You can't ignore yourself.");
    const ignoring = (me.ignoring ??= new Set());
    if (!ignoring.has(key) && ignoring.size >= MAX_IGNORES) {
      return badUsage(ctx, "ignore", `You ignore ${MAX_IGNORES} people already; /unignore one first.`);
    }
    ignoring.add(key);
    const shown = ctx.hub.find(name)?.name ?? name;
    keepIgnores(ctx);
    ctx.reply({
      type: "notice",
      text: `You ignore ${shown} now: their lines and private messages are not shown to you. /unignore ${shown} undoes it.`,
      ts: ctx.now(),
    });
  },
  unignore(ctx, args) {
    const [name] = splitFirst(args);
    if (name === "") return badUsage(ctx, "unignore", "Say whom.");
    const me = ctx.me;
    const key = foldName(name);
    if (!hasNameShape(name) || !me.ignoring?.delete(key)) {
      return ctx.reply(error("bad-usage", `You don't ignore ${sanitizeText(name).slice(0, 32)}.`));
    }
    keepIgnores(ctx);
    ctx.reply({ type: "notice", text: `You see ${ctx.hub.find(name)?.name ?? name}'s lines again.`, ts: ctx.now() });
  },
  kick(ctx, args) {
    const [name, rest] = splitFirst(args);
    if (name === "") return badUsage(ctx, "kick", "Say whom.");
    const me = ctx.me;
    const room = me.room;
    if (!ctx.hub.isAdmin(me)) {
      // An operator: out of the current room.
      if (!room || !ctx.hub.isOp(me, room)) {
        return ctx.reply(error("not-allowed", "Only a room's operators (and server admins) can kick."));
      }
      const target = ctx.hub.find(name);
      if (!target || !room.has(target)) return ctx.reply(error("not-in-room", `${sanitizeText(name).slice(0, 32)} is not in ${room.name}.`));
      if (target === me) return badUsage(ctx, "kick", "You can't kick yourself; /part leaves.");
      if (ctx.hub.isAdmin(target)) return ctx.reply(error("not-allowed", `${target.name} is a server admin: operators can't kick admins.`));
      const why = reason(rest);
      const message = `by ${me.name}${why ? `: ${why}` : ""}`;
      const who = target.name;
      ctx.hub.kickFromRoom(target, room, message);
      ctx.log(`! ${me.name} kicked ${who} from ${room.name}${why ? `: ${why}` : ""}`);
      return;
    }
    const target = ctx.hub.find(name);
    if (!target) return ctx.reply(unknownUser(name));
    if (target === me) return badUsage(ctx, "kick", "You can't kick yourself; quit leaves.");
    if (ctx.hub.isAdmin(target)) return ctx.reply(error("not-allowed", `${target.name} is a server admin: admins can't kick each other.`));
    const why = reason(rest);
    const message = `by ${me.name}${why ? `: ${why}` : ""}`;
    const who = target.name;
    ctx.hub.kick(target, message);
    ctx.reply({ type: "notice", text: `${who} was kicked from the server.`, ts: ctx.now() });
    ctx.log(`! ${me.name} kicked ${who} from the server${why ? `: ${why}` : ""}`);
  },
  op(ctx, args) {
    changeOp(ctx, args, "op");
  },
  deop(ctx, args) {
    changeOp(ctx, args, "deop");
  },
  mute(ctx, args) {
    const [name, rest] = splitFirst(args);
    const checked = moderated(ctx, name, "mute");
    if ("type" in checked) return ctx.reply(checked);
    const { room, target } = checked;
    const [first] = splitFirst(rest);
    const lasts = first === "" ? undefined : parseDuration(first);
    if (first !== "" && lasts === undefined) return badUsage(ctx, "mute", "A duration is a number and s, m, h or d: 10m, 2h, 7d.");
    const key = foldName(target.name);
    const until = lasts === undefined ? 0 : ctx.now() + lasts;
    const span = lasts === undefined ? "until /unmute" : `for ${first}`;
    ctx.hub.setRoles(room, (r) => ({ ...r, muted: { ...r.muted, [key]: until } }), `${ctx.me.name} muted ${target.name} in ${room.name} ${span}.`);
    ctx.log(`! ${ctx.me.name} muted ${target.name} in ${room.name} ${span}`);
  },
  unmute(ctx, args) {
    const [name] = splitFirst(args);
    const room = ctx.me.room;
    if (name === "") return badUsage(ctx, "unmute", "Say whom.");
    if (!room || !ctx.hub.isOp(ctx.me, room)) return ctx.reply(error("not-allowed", "Only a room's operators (and server admins) can unmute."));
    const key = foldName(name);
    if (room.roles.muted[key] === undefined) return ctx.reply(error("bad-usage", `${sanitizeText(name).slice(0, 32)} is not muted in ${room.name}.`));
    ctx.hub.setRoles(
      room,
      (r) => ({ ...r, muted: Object.fromEntries(Object.entries(r.muted).filter(([k]) => k !== key)) }),
      `${ctx.me.name} unmuted ${name} in ${room.name}.`,
    );
    ctx.log(`! ${ctx.me.name} unmuted ${name} in ${room.name}`);
  },
  ban(ctx, args) {
    if (!ctx.hub.isAdmin(ctx.me) && ctx.me.room && ctx.hub.isOp(ctx.me, ctx.me.room)) return roomBan(ctx, args);
    const refused = adminOnly(ctx, "ban");
    if (refused) return ctx.reply(refused);
    const store = ctx.hub.bans;
    if (!store) return ctx.reply(error("no-accounts", "This server keeps no bans."));
    const [name, rest] = splitFirst(args);
    if (name === "") return badUsage(ctx, "ban", "Say whom.");
    if (!hasNameShape(name)) return badUsage(ctx, "ban", "Names hold only A-Z, a-z, 0-9, _ and -.");
    const [first, afterFirst] = splitFirst(rest);
    const lasts = parseDuration(first);
    const why = reason(lasts === undefined ? rest : afterFirst);
    const me = ctx.me;
    const target = ctx.hub.find(name);
    const key = foldName(name);
    if (key === foldName(me.name)) return badUsage(ctx, "ban", "You can't ban yourself.");
    if (target && ctx.hub.isAdmin(target)) {
      return ctx.reply(error("not-allowed", `${target.name} is a server admin: admins can't ban each other.`));
    }
    const now = ctx.now();
    ctx.after(
      outcome(async () => {
        const all = await store.list();
        if (all.length >= MAX_BANS && !all.some((b) => b.key === key)) {
          return error("bad-usage", `The server keeps at most ${MAX_BANS} bans; /unban some first.`);
        }
        const registered = target?.account !== undefined || (ctx.hub.accounts ? (await ctx.hub.accounts.get(key)) !== undefined : false);
        // A guest here is banned with its network too; a registered name by its account alone.
        const network = !registered && target?.node === undefined ? target?.network : undefined;
        const ban: Ban = {
          key,
          name: target?.name ?? name,
          by: me.name,
          at: now,
          ...(network ? { network } : {}),
          ...(lasts !== undefined ? { until: now + lasts } : {}),
          ...(why ? { reason: why } : {}),
        };
        await store.put(ban);
        ctx.hub.bansChanged();
        return ban;
      }),
      (ban) => {
        if ("type" in ban) return ctx.reply(ban);
        const until = ban.until === undefined ? "until /unban" : `for ${first}`;
        const scope = ban.network ? ` and network ${ban.network}` : "";
        // Someone online goes now: told why, like a kick.
        const online = ctx.hub.find(ban.name);
        if (online) ctx.hub.kick(online, `by ${me.name} (banned ${until})${why ? `: ${why}` : ""}`);
        ctx.reply({ type: "notice", text: `${ban.name}${scope} banned from the server ${until}.`, ts: ctx.now() });
        ctx.log(`! ${me.name} banned ${ban.name}${scope} ${until}${why ? `: ${why}` : ""}`);
      },
    );
  },
  unban(ctx, args) {
    const room = ctx.me.room;
    if (!ctx.hub.isAdmin(ctx.me) && room && ctx.hub.isOp(ctx.me, room)) {
      const [name] = splitFirst(args);
      const key = foldName(name);
      if (name === "" || room.roles.banned?.[key] === undefined) {
        return ctx.reply(error("bad-usage", `${sanitizeText(name).slice(0, 32) || "Nobody"} is not banned from ${room.name}.`));
      }
      const text = `${ctx.me.name} lifted the ban on ${name} in ${room.name}.`;
      ctx.hub.setRoles(room, (r) => ({ ...r, banned: Object.fromEntries(Object.entries(r.banned ?? {}).filter(([k]) => k !== key)) }), text);
      ctx.log(`! ${text}`);
      return;
    }
    const refused = adminOnly(ctx, "unban");
    if (refused) return ctx.reply(refused);
    const store = ctx.hub.bans;
    if (!store) return ctx.reply(error("no-accounts", "This server keeps no bans."));
    const [name] = splitFirst(args);
    if (name === "" || !hasNameShape(name)) return badUsage(ctx, "unban", "Say whom.");
    ctx.after(outcome(async () => await store.remove(foldName(name))), (removed) => {
      ctx.hub.bansChanged();
      if (typeof removed !== "boolean") return ctx.reply(removed);
      if (!removed) return ctx.reply(error("bad-usage", `${name} is not banned.`));
      ctx.reply({ type: "notice", text: `${name} is no longer banned.`, ts: ctx.now() });
      ctx.log(`! ${ctx.me.name} lifted the ban on ${name}`);
    });
  },
  bans(ctx) {
    const room = ctx.me.room;
    if (!ctx.hub.isAdmin(ctx.me) && room && ctx.hub.isOp(ctx.me, room)) {
      const now = ctx.now();
      const live = Object.entries(room.roles.banned ?? {}).filter(([, until]) => until === 0 || until > now);
      ctx.reply({ type: "notice", text: live.length === 0 ? `Nobody is banned from ${room.name}.` : `Banned from ${room.name} (${live.length}):`, ts: now });
      for (const [key, until] of live) {
        const when = until === 0 ? "until /unban" : `until ${new Date(until).toISOString().slice(0, 16).replace("T", " ")} UTC`;
        ctx.reply({ type: "notice", text: `  ${key} ${when}`, ts: now });
      }
      return;
    }
    const refused = adminOnly(ctx, "bans");
    if (refused) return ctx.reply(refused);
    const store = ctx.hub.bans;
    if (!store) return ctx.reply(error("no-accounts", "This server keeps no bans."));
    ctx.after(outcome(async () => await store.list()), (all) => {
      if (!Array.isArray(all)) return ctx.reply(all);
      const now = ctx.now();
      const live = all.filter((b) => b.until === undefined || b.until > now).sort((a, b) => a.at - b.at);
      const line = (b: Ban) =>
        `${b.name}${b.network ? ` (and ${b.network})` : ""} ${b.until === undefined ? "until /unban" : `until ${new Date(b.until).toISOString().slice(0, 16).replace("T", " ")} UTC`}, by ${b.by}${b.reason ? `: ${b.reason}` : ""}`;
      // A notice a ban: every line of them reads whole in every client.
      ctx.reply({ type: "notice", text: live.length === 0 ? "Nobody is banned." : `Bans (${live.length}):`, ts: now });
      for (const b of live) ctx.reply({ type: "notice", text: `  ${line(b)}`, ts: now });
    });
  },
  whois(ctx, args) {
    const [wanted] = splitFirst(args);
    if (wanted === "") return badUsage(ctx, "whois", "Say whose.");
    const member = ctx.hub.find(wanted);
    const accounts = ctx.hub.accounts;
    const key = foldName(wanted);
    const lookup = async () => {
      if (member?.account !== undefined) return { registered: true, name: member.name };
      const account = accounts ? await accounts.get(key) : undefined;
      return { registered: account !== undefined, name: account?.name ?? member?.name ?? wanted };
    };
    ctx.after(outcome(lookup), (found) => {
      if ("type" in found) return ctx.reply(found);
      const { registered, name } = found;
      if (!member) {
        if (!registered) return ctx.reply(unknownUser(wanted));
        return ctx.reply({ type: "whois", name, online: false, registered });
      }
      const away = ctx.hub.awayReason(member);
      ctx.reply({
        type: "whois",
        name: member.name,
        online: true,
        registered,
        ...(member.since ? { since: member.since } : {}),
        ...(member.lastActive ? { idle: Math.max(0, ctx.now() - member.lastActive) } : {}),
        ...(away !== undefined ? { away } : {}),
        rooms: member.rooms.map((r) => r.name),
        ...(member.node !== undefined ? { elsewhere: true } : {}),
        ...(ctx.hub.isAdmin(member) ? { admin: true } : {}),
        ...operatorOf(ctx.hub, member),
      });
    });
  },
  nick(ctx, args) {
    if (args === "") return badUsage(ctx, "nick", "Say which name you want.");
    const muted = ctx.me.rooms.find((r) => ctx.hub.isMutedIn(ctx.me, r));
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
    ctx.reply(ctx.hub.users(everyone ? undefined : ctx.me.room, prefix));
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
  },
};

/** Runs "/word args" for a joined user. */
export function runCommand(ctx: CommandContext, word: string, args: string): void {
  const name = lookupCommand(word);
  if (name) return handlers[name](ctx, args);
  ctx.reply(unknownCommand(word));
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

/** A plain line, /me or /topic from someone in no room. */
export function notInRoom(): ErrorEvent {
  return error("not-in-room", "You are in no room, so that went nowhere: /join a room (/rooms lists them).");
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
  ctx.reply({ type: "history", room: room.name, why: "join", events, more: replay.more, ts: ctx.now() });
}

/** The newest of `kept` (oldest first) that fit in one reply: a client takes lines of up to 1 MiB. */
function fitReply(kept: Kept[]): Kept[] {
  let bytes = 0;
  for (let i = kept.length - 1; i >= 0; i--) {
    bytes += kept[i]!.event.text.length * 2 + 100; // escaped JSON at worst, and the fields around it
    if (bytes > HISTORY_REPLY_BYTES) return kept.slice(i + 1);
  }
  return kept;
}

/** A store's answer, or undefined if it failed (Redis gone): never a rejection for the session. */
function settled<T>(value: Maybe<T>): Maybe<T | undefined> {
  return value instanceof Promise ? value.catch(() => undefined) : value;
}

function storeFailed(): ErrorEvent {
  return error("no-history", "History can't be read right now (the server can't reach it); try again in a moment.");
}

/**
 * The room and the member a moderation command acts on: the actor must run its current room, the
 * target be in it, not be the actor, and not be a server admin.
 */
function moderated(ctx: CommandContext, name: string, command: CommandName): { room: Room; target: Member } | ErrorEvent {
  const room = ctx.me.room;
  if (name === "") return error("bad-usage", `Say whom. Usage: ${usage(command)}`);
  if (!room || !ctx.hub.isOp(ctx.me, room)) return error("not-allowed", `Only a room's operators (and server admins) can use /${command}.`);
  const target = ctx.hub.find(name);
  if (!target || !room.has(target)) return error("not-in-room", `${sanitizeText(name).slice(0, 32)} is not in ${room.name}.`);
  if (target === ctx.me) return error("bad-usage", `Not on yourself. Usage: ${usage(command)}`);
  if (ctx.hub.isAdmin(target)) return error("not-allowed", `${target.name} is a server admin: operators can't act on admins.`);
  return { room, target };
}

/** An operator's /ban: out of the current room (if in it), and kept out, for a while or until /unban. */
function roomBan(ctx: CommandContext, args: string): void {
  const room = ctx.me.room!;
  const [name, rest] = splitFirst(args);
  if (name === "" || !hasNameShape(name)) return badUsage(ctx, "ban", "Say whom.");
  const key = foldName(name);
  if (key === foldName(ctx.me.name)) return badUsage(ctx, "ban", "You can't ban yourself.");
  const target = ctx.hub.find(name);
  if (target && ctx.hub.isAdmin(target)) return ctx.reply(error("not-allowed", `${target.name} is a server admin: operators can't act on admins.`));
  const [first, afterFirst] = splitFirst(rest);
  const lasts = parseDuration(first);
  const why = reason(lasts === undefined ? rest : afterFirst);
  const span = lasts === undefined ? "until /unban" : `for ${first}`;
  const shown = target?.name ?? name;
  const until = lasts === undefined ? 0 : ctx.now() + lasts;
  const text = `${ctx.me.name} banned ${shown} from ${room.name} ${span}${why ? `: ${why}` : ""}.`;
  ctx.hub.setRoles(room, (r) => ({ ...r, banned: { ...r.banned, [key]: until } }), text);
  if (target && room.has(target)) ctx.hub.kickFromRoom(target, room, `by ${ctx.me.name} (banned ${span})${why ? `: ${why}` : ""}`);
  ctx.log(`! ${text}`);
}

/** /op and /deop: by the room's owner or a server admin, on a registered member of the room. */
function changeOp(ctx: CommandContext, args: string, command: "op" | "deop"): void {
  const [name] = splitFirst(args);
  const room = ctx.me.room;
  const me = ctx.me;
  if (name === "") return badUsage(ctx, command, "Say whom.");
  const owner = room !== undefined && me.account !== undefined && room.roles.owner === me.account;
  if (!room || !(owner || ctx.hub.isAdmin(me))) {
    return ctx.reply(error("not-allowed", `Only a room's owner (and server admins) can use /${command}.`));
  }
  const target = ctx.hub.find(name);
  if (!target || !room.has(target)) return ctx.reply(error("not-in-room", `${sanitizeText(name).slice(0, 32)} is not in ${room.name}.`));
  const key = foldName(target.name);
  const accounts = ctx.hub.accounts;
  ctx.after(
    outcome(async () => target.account !== undefined || (accounts ? (await accounts.get(key)) !== undefined : false)),
    (registered) => {
      if (typeof registered !== "boolean") return ctx.reply(registered);
      if (command === "op" && !registered) {
        return ctx.reply(error("not-allowed", `${target.name} is a guest: only registered names can be operators.`));
      }
      const has = room.roles.ops.includes(key);
      if (command === "op" ? has : !has) {
        return ctx.reply(error("bad-usage", `${target.name} ${command === "op" ? "is an operator already" : "is not an operator"} of ${room.name}.`));
      }
      const text =
        command === "op"
          ? `${me.name} made ${target.name} an operator of ${room.name}.`
          : `${me.name} took ${target.name}'s operator status in ${room.name}.`;
      ctx.hub.setRoles(room, (r) => ({ ...r, ops: command === "op" ? [...r.ops, key] : r.ops.filter((o) => o !== key) }), text);
      ctx.log(`! ${text}`);
    },
  );
}

/** The refusal for someone who is not a logged-in server admin; undefined for an admin. */
function adminOnly(ctx: CommandContext, command: string): ErrorEvent | undefined {
  if (ctx.hub.isAdmin(ctx.me)) return undefined;
  return error("not-allowed", `Only server admins can use /${command} (--admin, logged in to their registered name).`);
}

/** The rooms a member owns or operates (not by being an admin), for /whois. */
function operatorOf(hub: Hub, member: Member): { operator?: string[] } {
  const key = member.node === undefined ? member.account : foldName(member.name);
  if (key === undefined) return {};
  const rooms = member.rooms.filter((r) => r.roles.owner === key || r.roles.ops.includes(key)).map((r) => r.name);
  return rooms.length > 0 ? { operator: rooms } : {};
}

/** Users one person may ignore at once. */
export const MAX_IGNORES = 100;

/** A registered user's ignore list, kept with its account (a guest's lasts as long as its connection). */
function keepIgnores(ctx: CommandContext): void {
  const { accounts } = ctx.hub;
  const key = ctx.me.account;
  if (!accounts || key === undefined) return;
  const ignores = [...(ctx.me.ignoring ?? [])];
  ctx.after(
    outcome(async () => {
      const account = await accounts.get(key);
      if (account) await accounts.put(key, { ...account, ignores });
      return undefined;
    }),
    (failed) => failed && ctx.reply(failed),
  );
}

/** What is wrong with a new password, if anything. */
function passwordProblem(password: string): string | undefined {
  if (/\s/.test(password)) return "A password can't hold spaces.";
  const length = [...password].length;
  if (length < 8) return "A password needs at least 8 characters.";
  if (length > 128) return "A password can have at most 128 characters.";
  return undefined;
}

/**
 * Runs the steps of an account command; its result, or the error for whoever asked when a store
 * could not answer (never a rejection for the session).
 */
function outcome<T>(steps: () => Promise<T>): Promise<T | ErrorEvent> {
  return steps().catch(() => error("no-accounts", "Registered names can't be reached right now; try again in a moment."));
}

/** A hash or a check, or the error saying the queue for them is full. */
async function hashed<T>(work: Promise<T> | "busy"): Promise<T | ErrorEvent> {
  if (work === "busy") return error("server-busy", "The server is checking many passwords at once; try again in a moment.");
  return work;
}

function noAccounts(): ErrorEvent {
  return error("no-accounts", "This server keeps no registered names.");
}

function noHistory(): ErrorEvent {
  return error("no-history", "This server keeps no history.");
}

/** A room as its joiner sees it: who is in and the topic. */
function roomEvent(room: Room, joined: boolean): ServerEvent {
  return { type: "room", room: room.name, joined, ...room.summary() };
}

/** A reason given with /away or /part, cleaned and cut to size; undefined if none. */
function reason(text: string): string | undefined {
  return sanitizeText(text).trim().slice(0, LIMITS.reasonMaxLength) || undefined;
}

/** A /pm to someone not online. */
export function unknownUser(target: string): ErrorEvent {
  return error("unknown-user", `No user named "${sanitizeText(target)}" is online. /users shows who is.`);
}

/** /pm and /reply: to one member only, with the sender's copy; an away member's reason goes back. */
function sendPrivate(ctx: CommandContext, to: Member, rawText: string, command: CommandName): void {
  if (to === ctx.me) return ctx.reply(error("bad-usage", "You can't send a private message to yourself."));
  const text = sanitizeText(rawText);
  if (text.trim() === "") return badUsage(ctx, command, `Nothing to send to ${to.name}.`);
  const ts = ctx.now();
  if (!ctx.hub.send(to, { type: "private", from: ctx.me.name, text, ts }, ctx.me)) {
    return ctx.reply(
      error("unreachable", `${to.name} is on another server, which can't be reached right now; not sent.`),
    );
  }
  to.lastPmFrom = ctx.me;
  ctx.reply({ type: "private-sent", to: to.name, text, ts });
  const away = ctx.hub.awayReason(to);
  if (away !== undefined) ctx.reply({ type: "away-notice", name: to.name, reason: away });
  ctx.log(`[Private message from ${ctx.me.name} to ${to.name}]`);
}

function badUsage(ctx: CommandContext, name: CommandName, problem: string): void {
  ctx.reply(error("bad-usage", `${problem} Usage: ${usage(name)}`));
}

export function error(code: ErrorEvent["code"], message: string): ErrorEvent {
  return { type: "error", code, message };
}
