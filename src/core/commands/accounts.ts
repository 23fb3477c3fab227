// Registered names and what hangs off them: /register, /passwd, /unregister, /ignore,
// /unignore, /whois. Passwords are hashed through the hub's bounded queue and never logged.

import { splitFirst } from "../../protocol/commands.ts";
import type { Door, ErrorEvent, RoomSettings } from "../../protocol/events.ts";
import { foldName, hasNameShape } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { badUsage, type CommandContext, error, type Handler, outcome, unknownUser } from "./kit.ts";
import type { Member, Room } from "../room.ts";
import { Person } from "../person.ts";
import { runs } from "../rules.ts";
import { settingsOf } from "../settings.ts";
import { roleKey } from "../../store/rooms.ts";

export const accountCommands = {
  register(ctx, args) {
    const { accounts, passwords } = ctx.hub;
    if (!accounts) return ctx.reply(noAccounts());
    const me = ctx.me;
    if (me.account !== undefined) {
      return ctx.reply(error("name-registered", `${me.name} is registered already; /passwd changes its password.`));
    }
    const name = me.name;
    const key = foldName(name);
    // A server admin's name (or one like it) is the server's to give: with the code in its log.
    const admin = ctx.hub.admins.has(key);
    const [password, code] = admin ? splitFirst(args) : [args, ""];
    const problem = passwordProblem(password, ctx.hub.passwords.minLength);
    if (problem) return badUsage(ctx, "register", problem);
    if (admin && !ctx.hub.admins.opens(key, code)) {
      const what = code === "" ? "needs" : "needs the right code:";
      return ctx.reply(
        error(
          "not-allowed",
          `${name} is a server admin's name (--admin): registering it ${what} the setup code the server printed in its log. /register <password> <code>`,
        ),
      );
    }
    ctx.after(
      outcome(async () => {
        const taken = await accounts.get(key);
        if (taken) return error("name-registered", `${taken.name} was registered meanwhile.`);
        const hash = await hashed(passwords.hash(password));
        if (typeof hash !== "string") return hash;
        await accounts.put(key, { name, hash, created: ctx.now() });
        if (admin) ctx.hub.admins.spend(key);
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        ctx.hub.setAccount(me, key);
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
    const problem = passwordProblem(fresh, ctx.hub.passwords.minLength);
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
        await ctx.hub.sessions?.removeAll(key); // a page signed in with the old one signs in no more
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        ctx.reply({ type: "notice", text: `The password of ${me.name} is changed; every page session of it is signed out.`, ts: ctx.now() });
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
        await ctx.hub.sessions?.removeAll(key);
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        ctx.hub.setAccount(me, undefined);
        ctx.hub.admins.unregistered(key);
        ctx.reply({ type: "notice", text: `${me.name} is no longer registered: anyone may use it once you leave.`, ts: ctx.now() });
        ctx.log(`~ ${me.name} gave up their registered name`);
      },
    );
  },
  "always-on"(ctx, args) {
    const accounts = ctx.hub.accounts;
    const me = ctx.me;
    const key = me.account;
    if (!accounts) return ctx.reply(noAccounts());
    if (key === undefined || !(me instanceof Person)) return ctx.reply(error("login-failed", `${me.name} is not registered: only a registered name stays online without a connection.`));
    const word = args.trim().toLowerCase();
    if (word === "") {
      const text = me.alwaysOn
        ? `${me.name} is always on: when your last connection goes you stay in your rooms, away, and see what you missed when you come back. /always-on off to leave with it.`
        : `${me.name} leaves the chat when its last connection goes. /always-on on keeps you in your rooms meanwhile.`;
      return ctx.reply({ type: "notice", text, ts: ctx.now() });
    }
    if (word !== "on" && word !== "off") return badUsage(ctx, "always-on", "Say on or off.");
    const on = word === "on";
    ctx.after(
      outcome(async () => {
        const account = await accounts.get(key);
        if (!account) return error("login-failed", `${me.name} is no longer registered.`);
        const { alwaysOn: _, ...rest } = account;
        await accounts.put(key, on ? { ...rest, alwaysOn: true } : rest);
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        me.alwaysOn = on;
        ctx.reply({ type: "notice", text: on ? `${me.name} is always on now: you stay in your rooms when your last connection goes.` : `${me.name} leaves the chat with its last connection now.`, ts: ctx.now() });
      },
    );
  },
  sessions(ctx) {
    const sessions = ctx.hub.sessions;
    const key = ctx.me.account;
    if (!sessions) return ctx.reply(error("no-accounts", "This server keeps no sessions: the page asks for your password when it loads."));
    if (key === undefined) return ctx.reply(error("login-failed", `${ctx.me.name} is not registered: sessions are for registered names.`));
    ctx.after(outcome(async () => await sessions.of(key)), (all) => {
      if ("type" in all) return ctx.reply(all);
      const now = ctx.now();
      const current = ctx.signedInWith;
      ctx.reply({
        type: "sessions",
        sessions: all.filter((s) => s.expires > now).map((s) => ({ id: s.id, created: s.created, used: s.used, expires: s.expires, ...(s.id === current ? { current: true as const } : {}) })),
      });
    });
  },
  logout(ctx, args) {
    const sessions = ctx.hub.sessions;
    const key = ctx.me.account;
    if (!sessions) return ctx.reply(error("no-accounts", "This server keeps no sessions."));
    if (key === undefined) return ctx.reply(error("login-failed", `${ctx.me.name} is not registered: sessions are for registered names.`));
    const which = args.trim() || ctx.signedInWith;
    if (which === undefined) return badUsage(ctx, "logout", "This connection did not sign in with a session: say which (/sessions lists them), or all.");
    if (which !== "all" && !/^[0-9a-f]{12}$/.test(which)) return badUsage(ctx, "logout", "Say a session's id as /sessions shows it, or all.");
    ctx.after(
      outcome(async () => {
        if (which === "all") return void (await sessions.removeAll(key));
        const session = await sessions.get(which);
        // Another account's session reads as one that does not exist.
        if (!session || session.account !== key) return error("bad-usage", `You have no session ${which}; /sessions lists yours.`);
        await sessions.remove(which);
        return undefined;
      }),
      (failed) => {
        if (failed) return ctx.reply(failed);
        const text = which === "all" ? "Every page session of yours is signed out." : `Session ${which} is signed out: it signs in no more.`;
        ctx.reply({ type: "notice", text, ts: ctx.now() });
        ctx.log(`~ ${ctx.me.name} signed out ${which === "all" ? "every session" : `session ${which}`}`);
      },
    );
  },
  ignore(ctx, args) {
    const [name] = splitFirst(args);
    const me = ctx.me;
    if (name === "") {
      const list = [...(me.ignoring?.values() ?? [])].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
      const text =
        list.length === 0
          ? "You ignore nobody. /ignore <name> hides someone's lines and private messages from you."
          : `You ignore ${list.length}: ${list.join(", ")}. /unignore <name> undoes it.`;
      return ctx.reply({ type: "notice", text, ts: ctx.now() });
    }
    if (!hasNameShape(name)) return badUsage(ctx, "ignore", "Names hold only A-Z, a-z, 0-9, _ and -.");
    const key = foldName(name);
    if (key === foldName(me.name)) return badUsage(ctx, "ignore", "You can't ignore yourself.");
    const ignoring = (me.ignoring ??= new Map());
    if (!ignoring.has(key) && ignoring.size >= MAX_IGNORES) {
      return badUsage(ctx, "ignore", `You ignore ${MAX_IGNORES} people already; /unignore one first.`);
    }
    const shown = ctx.hub.find(name)?.name ?? name;
    ignoring.set(key, shown);
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
    const ignored = hasNameShape(name) ? me.ignoring?.get(key) : undefined;
    if (ignored === undefined) return ctx.reply(error("bad-usage", `You don't ignore ${sanitizeText(name).slice(0, 32)}.`));
    me.ignoring!.delete(key);
    keepIgnores(ctx);
    ctx.reply({ type: "notice", text: `You see ${ctx.hub.find(name)?.name ?? ignored}'s lines again.`, ts: ctx.now() });
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
      // Asked by a look-alike ("Sarn" for Sam): say whose answer this is.
      if ((member || registered) && name.toLowerCase() !== wanted.toLowerCase()) {
        ctx.reply({ type: "notice", text: `Nobody is called ${sanitizeText(wanted).slice(0, 32)}; it looks like ${name}, who is:`, ts: ctx.now() });
      }
      if (!member) {
        if (!registered) return ctx.reply(unknownUser(wanted));
        return ctx.reply({ type: "whois", name, online: false, registered });
      }
      const away = ctx.hub.awayReason(member);
      const seen = member.rooms.filter((r) => ctx.hub.visibleTo(r, ctx.me)); // a secret room, to its members only
      ctx.reply({
        type: "whois",
        name: member.name,
        online: true,
        registered,
        ...(member.since ? { since: member.since } : {}),
        ...(member.lastActive ? { idle: Math.max(0, ctx.now() - member.lastActive) } : {}),
        ...(away !== undefined ? { away } : {}),
        rooms: seen.map((r) => r.name),
        ...(member.node !== undefined ? { elsewhere: true } : {}),
        ...doorsOf(member),
        ...(ctx.hub.isAdmin(member) ? { admin: true } : {}),
        ...operatorOf(member, seen),
        ...settingsOfRooms(seen, ctx.me),
      });
    });
  },
} satisfies Record<string, Handler>;

/**
 * An ignore list as kept (names as they were ignored; lists kept before that hold name keys, shown
 * as such), by key.
 */
export function ignoreList(names: readonly string[]): Map<string, string> {
  return new Map(names.map((name) => [foldName(name), name]));
}

/** Users one person may ignore at once. */
export const MAX_IGNORES = 100;

/** A registered user's ignore list, kept with its account (a guest's lasts as long as its connection). */
function keepIgnores(ctx: CommandContext): void {
  const { accounts } = ctx.hub;
  const key = ctx.me.account;
  if (!accounts || key === undefined) return;
  const ignores = [...(ctx.me.ignoring?.values() ?? [])];
  ctx.after(
    outcome(async () => {
      const account = await accounts.get(key);
      if (account) await accounts.put(key, { ...account, ignores });
      return undefined;
    }),
    (failed) => failed && ctx.reply(failed),
  );
}

/** Most characters of a password (a passphrase fits; argon2id's cost does not grow with it). */
const PASSWORD_MAX = 1024;

/** What is wrong with a new password (`min`: the server's fewest characters), if anything. */
function passwordProblem(password: string, min: number): string | undefined {
  if (/\s/.test(password)) return "A password can't hold spaces.";
  const length = [...password].length;
  if (length < min) return `A password needs at least ${min} characters.`;
  if (length > PASSWORD_MAX) return `A password can have at most ${PASSWORD_MAX} characters.`;
  return undefined;
}

/** A hash or a check, or the error saying the queue for them is full. */
async function hashed<T>(work: Promise<T> | "busy"): Promise<T | ErrorEvent> {
  if (work === "busy") return error("server-busy", "The server is checking many passwords at once; try again in a moment.");
  return work;
}

function noAccounts(): ErrorEvent {
  return error("no-accounts", "This server keeps no registered names.");
}

/** The settings of those of `rooms` that have any, as `asker` may see them (the key: in rooms it is in). */
function settingsOfRooms(rooms: readonly Room[], asker: Member): { settings?: Record<string, RoomSettings> } {
  const settings: Record<string, RoomSettings> = {};
  for (const room of rooms) {
    const s = settingsOf(room.roles, room.has(asker));
    if (s) settings[room.name] = s;
  }
  return Object.keys(settings).length > 0 ? { settings } : {};
}

/** Which of `rooms` a member owns or operates (not by being an admin), for /whois. */
function operatorOf(member: Member, rooms: readonly Room[]): { operator?: string[] } {
  const key = roleKey(member);
  const run = rooms.filter((r) => runs(r.roles, key)).map((r) => r.name);
  return run.length > 0 ? { operator: run } : {};
}

/** The doors of a member's connections here, for /whois (none for one on another node). */
function doorsOf(member: Member): { doors?: Door[] } {
  const doors = member.devices.flatMap((d) => (d.door ? [d.door] : []));
  return doors.length > 0 ? { doors } : {};
}
