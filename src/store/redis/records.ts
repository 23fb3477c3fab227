// The small stores in Redis, for a cluster: registered names, server bans, bot tokens and rooms'
// roles, each a hash every node reads (key -> JSON), so that a change on one node holds on all at once.

import { type Account, type AccountStore, parseAccount } from "../accounts.ts";
import { BAN_RECORDS, type Ban, type BanStore } from "../bans.ts";
import type { RecordKind } from "../records.ts";
import { changed, NO_ROLES, parseRoles, type RolesChange, type RoomRoles, type RoomStore } from "../rooms.ts";
import { type BotToken, TOKEN_RECORDS, type TokenStore } from "../tokens.ts";
import type { HistoryLink } from "./history.ts";
import { parseJson } from "../../protocol/decode.ts";
import { ACCOUNTS, BANS, FILES, FILES_BY_LINE, FILES_BY_OWNER, FILES_BY_SHA, markersKey, P, ROOMS, SECRETS, SESSIONS, sessionsOfKey, TOKENS } from "./keys.ts";
import { type FileMeta, type FileStore, parseFileMeta } from "../files.ts";
import type { MessageId } from "../../protocol/events.ts";
import { parseSession, type Session, type SessionStore } from "../sessions.ts";
import { MARKERS_PER_ACCOUNT, type MarkerStore, parseMarkers } from "../markers.ts";

/** In Redis: the hash `hash`, through the cluster node's connection. */
export class RedisRecords<T> {
  constructor(
    private readonly link: { command(name: string, args: string[]): Promise<unknown> },
    private readonly hash: string,
    private readonly kind: RecordKind<T>,
  ) {}

  /** Every record, by key. */
  async list(): Promise<T[]> {
    const all = await this.link.command("HVALS", [this.hash]);
    const records = Array.isArray(all) ? all.flatMap((v) => this.kind.parse(v) ?? []) : [];
    return records.sort((a, b) => (this.kind.keyOf(a) < this.kind.keyOf(b) ? -1 : 1));
  }

  async get(key: string): Promise<T | undefined> {
    return this.kind.parse(await this.link.command("HGET", [this.hash, key]));
  }

  async put(record: T): Promise<void> {
    await this.link.command("HSET", [this.hash, this.kind.keyOf(record), JSON.stringify(record)]);
  }

  /** False if there was none. */
  async remove(key: string): Promise<boolean> {
    return (await this.link.command("HDEL", [this.hash, key])) === 1;
  }
}

/** Registered names in Redis (the bunchat:accounts hash: key -> JSON), the same for every node at once. */
export class RedisAccounts implements AccountStore {
  constructor(private readonly link: Pick<HistoryLink, "command">) {}

  async get(key: string): Promise<Account | undefined> {
    return parseAccount(await this.link.command("HGET", [ACCOUNTS, key]));
  }

  async put(key: string, account: Account): Promise<void> {
    await this.link.command("HSET", [ACCOUNTS, key, JSON.stringify(account)]);
  }

  async remove(key: string): Promise<void> {
    await this.link.command("HDEL", [ACCOUNTS, key]);
  }
}

/**
 * Read markers in Redis (a hash per account: target -> time), the same for every node at once;
 * moved forward only, by one script, and held to MARKERS_PER_ACCOUNT (the oldest go).
 */
export class RedisMarkers implements MarkerStore {
  constructor(private readonly link: Pick<HistoryLink, "command">) {}

  async all(account: string): Promise<Record<string, number>> {
    const flat = await this.link.command("HGETALL", [markersKey(account)]);
    const pairs: [unknown, unknown][] = [];
    if (Array.isArray(flat)) for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    else if (flat && typeof flat === "object") pairs.push(...Object.entries(flat));
    return parseMarkers(pairs);
  }

  async set(account: string, target: string, ts: number): Promise<void> {
    await this.link.command("EVAL", [SCRIPT_MARK, "1", markersKey(account), target, String(ts), String(MARKERS_PER_ACCOUNT)]);
  }
}

/** KEYS: the account's markers. ARGV: target, time, most kept. Forward only; past the most, the oldest go. */
const SCRIPT_MARK = `
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > old then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[3]) then
  local all = redis.call('HGETALL', KEYS[1])
  local oldest, at = nil, nil
  for i = 1, #all, 2 do
    if all[i] ~= ARGV[1] and (at == nil or tonumber(all[i + 1]) < at) then oldest, at = all[i], tonumber(all[i + 1]) end
  end
  if oldest then redis.call('HDEL', KEYS[1], oldest) end
end
return 1
`;

/** The page's sessions in Redis (bunchat:sessions: id -> JSON; bunchat:sessions-of:<account>: its ids), seen by every node at once. */
export class RedisSessions implements SessionStore {
  constructor(private readonly link: Pick<HistoryLink, "command">) {}

  async get(id: string): Promise<Session | undefined> {
    return parseSession(await this.link.command("HGET", [SESSIONS, id]));
  }

  async of(account: string): Promise<Session[]> {
    const ids = await this.link.command("SMEMBERS", [sessionsOfKey(account)]);
    if (!Array.isArray(ids) || ids.length === 0) return [];
    const values = await this.link.command("HMGET", [SESSIONS, ...ids.map(String)]);
    return (Array.isArray(values) ? values : []).flatMap((v) => parseSession(v) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async put(session: Session): Promise<void> {
    await this.link.command("EVAL", [SCRIPT_PUT_SESSION, "2", SESSIONS, sessionsOfKey(session.account), session.id, JSON.stringify(session)]);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.link.command("EVAL", [SCRIPT_REMOVE_SESSIONS, "1", SESSIONS, id])) === 1;
  }

  async removeAll(account: string): Promise<void> {
    await this.link.command("EVAL", [SCRIPT_REMOVE_ACCOUNT_SESSIONS, "2", SESSIONS, sessionsOfKey(account)]);
  }
}

const SCRIPT_PUT_SESSION = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); redis.call('SADD', KEYS[2], ARGV[1]); return 1`;
/** KEYS: the sessions hash. ARGV: the id. Out of its account's set too. */
const SCRIPT_REMOVE_SESSIONS = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
local ok, session = pcall(cjson.decode, value)
if ok and type(session) == 'table' and session.account then redis.call('SREM', '${P}sessions-of:' .. session.account, ARGV[1]) end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;
const SCRIPT_REMOVE_ACCOUNT_SESSIONS = `
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('HDEL', KEYS[1], id) end
redis.call('DEL', KEYS[2])
return 1
`;

/** Server bans in Redis (the bunchat:bans hash: key -> JSON), the same for every node at once. */
export class RedisBans extends RedisRecords<Ban> implements BanStore {
  constructor(link: Pick<HistoryLink, "command">) {
    super(link, BANS, BAN_RECORDS);
  }
}

/** Bot tokens in Redis (the bunchat:tokens hash: id -> JSON), seen by every node at once. */
export class RedisTokens extends RedisRecords<BotToken> implements TokenStore {
  constructor(link: Pick<HistoryLink, "command">) {
    super(link, TOKENS, TOKEN_RECORDS);
  }
}

/** Room roles in Redis (the bunchat:rooms hash: room -> JSON). */
export class RedisRooms implements RoomStore {
  /** Per room, the last change of this node's under way: the next one waits for it. */
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(private readonly link: Pick<HistoryLink, "command">) {}

  async get(room: string): Promise<RoomRoles | undefined> {
    const value = await this.link.command("HGET", [ROOMS, room]);
    return typeof value === "string" ? parseRoles(value) : undefined;
  }

  update(room: string, change: RolesChange): Promise<RoomRoles> {
    // One change of a room at a time from this node (in the order made), so that only other nodes'
    // can come in between a read and its write.
    const before = this.pending.get(room) ?? Promise.resolve();
    const made = before.then(() => this.compareAndSet(room, change));
    const done = made.catch(() => {});
    this.pending.set(room, done);
    void done.then(() => {
      if (this.pending.get(room) === done) this.pending.delete(room);
    });
    return made;
  }

  /** Reads, changes, and writes only if nobody wrote in between (the script compares "v"); if someone did, again. */
  private async compareAndSet(room: string, change: RolesChange): Promise<RoomRoles> {
    for (let tries = 1; tries <= ROLES_TRIES; tries++) {
      const before = await this.get(room);
      const after = changed(before, change);
      if (after === before || after === NO_ROLES) return after;
      const written = await this.link.command("EVAL", [SCRIPT_ROLES, "1", ROOMS, room, String(before?.v ?? 0), JSON.stringify(after)]);
      if (written === 1) return after;
      await Bun.sleep(Math.random() * 5 * tries); // another node won: apart, so that the two do not meet again
    }
    throw new Error(`the roles of ${room} changed ${ROLES_TRIES} times while being changed`);
  }
}

/** Tries of a roles change before it gives up (each lost to another node's change of the room). */
const ROLES_TRIES = 8;

/** KEYS: the rooms hash; ARGV: room, the "v" the change was made from, the new roles: 1 if written. */
const SCRIPT_ROLES = `
local kept = redis.call('HGET', KEYS[1], ARGV[1])
local v = 0
if kept then v = cjson.decode(kept).v or 0 end
if v ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/**
 * Files shared in rooms, in Redis, seen by every node (their bytes in a directory every node
 * shares: --files). Each change is one MULTI, so a count never misses its record.
 */
export class RedisFiles implements FileStore {
  constructor(private readonly link: Pick<HistoryLink, "command">) {}

  async put(meta: FileMeta): Promise<void> {
    await this.link.command("EVAL", [
      "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); redis.call('HINCRBY', KEYS[3], ARGV[4], 1); redis.call('HINCRBY', KEYS[4], ARGV[5], ARGV[6]); if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[1]) end; return 1",
      "4", FILES, FILES_BY_LINE, FILES_BY_SHA, FILES_BY_OWNER,
      meta.id, JSON.stringify(meta), meta.line === undefined ? "" : `${meta.room} ${meta.line}`, meta.sha256, meta.owner, String(meta.size),
    ]);
  }
  async get(id: string): Promise<FileMeta | undefined> {
    const value = await this.link.command("HGET", [FILES, id]);
    return typeof value === "string" ? parseFileMeta(parseJson(value)) : undefined;
  }
  async remove(id: string): Promise<{ meta: FileMeta; shared: boolean } | undefined> {
    const meta = await this.get(id);
    if (!meta) return undefined;
    const left = await this.link.command("EVAL", [
      "if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return -1 end; redis.call('HDEL', KEYS[2], ARGV[2]); redis.call('HINCRBY', KEYS[4], ARGV[4], -tonumber(ARGV[5])); local n = redis.call('HINCRBY', KEYS[3], ARGV[3], -1); if n <= 0 then redis.call('HDEL', KEYS[3], ARGV[3]) end; return n",
      "4", FILES, FILES_BY_LINE, FILES_BY_SHA, FILES_BY_OWNER,
      id, `${meta.room} ${meta.line ?? ""}`, meta.sha256, meta.owner, String(meta.size),
    ]);
    return left === -1 ? undefined : { meta, shared: Number(left) > 0 };
  }
  async ofLine(room: string, line: MessageId): Promise<FileMeta | undefined> {
    const id = await this.link.command("HGET", [FILES_BY_LINE, `${room} ${line}`]);
    return typeof id === "string" ? this.get(id) : undefined;
  }
  async usage(owner: string): Promise<number> {
    return Number((await this.link.command("HGET", [FILES_BY_OWNER, owner])) ?? 0);
  }
  async secret(made: string): Promise<string> {
    await this.link.command("HSETNX", [SECRETS, "file-links", made]);
    return String(await this.link.command("HGET", [SECRETS, "file-links"]));
  }
}
