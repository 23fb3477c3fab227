// Every key bunchat keeps in Redis, and the prefix every key and channel starts with (the cluster's
// own keys and channel are in src/cluster/scripts.ts, from the same prefix).
//
//   bunchat:history:<room>  a room's lines (a stream)   bunchat:topics    room -> topic JSON
//   bunchat:reactions:<room>  line id -> its reactions (JSON)
//   bunchat:accounts        key -> account JSON         bunchat:bans      key -> ban JSON
//   bunchat:tokens          id -> token JSON            bunchat:rooms     room -> roles JSON
//   bunchat:history-seq     what nodes lease line ids from (src/cluster/ids.ts)
//   bunchat:markers:<account>  target -> the time of the newest line read (store/markers.ts)
//   bunchat:sessions        id -> the page's session JSON   bunchat:sessions-of:<account>  its ids
//   bunchat:history:@<key> <key>  a private conversation's lines (a stream, as a room's)
//   bunchat:talks:<account>  a sorted set: the other's name key, by when the last line was said

/** Every key and channel starts with this. */
export const P = "bunchat:";

export const historyKey = (room: string) => `${P}history:${room}`;
/** The sequence every node leases the numbers in line ids from (src/cluster/ids.ts). */
export const HISTORY_SEQ = `${P}history-seq`;
export const TOPICS = `${P}topics`;
/** A room's reactions: line id -> JSON [{emoji, names}] (store/redis/history.ts). */
export const reactionsKey = (room: string) => `${P}reactions:${room}`;
export const ACCOUNTS = `${P}accounts`;
export const BANS = `${P}bans`;
export const TOKENS = `${P}tokens`;
/** Files shared in rooms (store/files.ts): id -> JSON; "room line" -> id; SHA-256 -> records using it; owner -> bytes kept. */
export const FILES = `${P}files`;
export const FILES_BY_LINE = `${P}files:line`;
export const FILES_BY_SHA = `${P}files:sha`;
export const FILES_BY_OWNER = `${P}files:owner`;
/** The cluster's secrets (the key that signs file links): made by the first node that needs one. */
export const SECRETS = `${P}secrets`;
export const ROOMS = `${P}rooms`;
/** The page's sessions: id -> JSON; and each account's ids (store/sessions.ts). */
export const SESSIONS = `${P}sessions`;
export const sessionsOfKey = (account: string) => `${P}sessions-of:${account}`;
/** A registered user's read markers: target -> time (ms) (store/markers.ts). */
export const markersKey = (account: string) => `${P}markers:${account}`;
/** An account's kept conversations: a sorted set of the others' name keys, scored by their last line's time. */
export const talksKey = (account: string) => `${P}talks:${account}`;
