// Room roles as kept: each change is made on top of the roles kept, counted in `v`; in Redis two
// nodes changing one room at the same moment both have their change kept (neither overwrites the
// other's), and a change that changes nothing writes nothing.

import { describe, expect, test } from "bun:test";
import { RedisRooms } from "../../src/store/redis/records.ts";
import type { RoomStore } from "../../src/store/rooms.ts";
import { SqliteRooms } from "../../src/store/sqlite/records.ts";
import { memoryStore } from "../helpers/accounts.ts";
import { testRedis } from "../helpers/redis.ts";

const mute = (key: string) => (r: Parameters<Parameters<RoomStore["update"]>[1]>[0]) => ({ ...r, muted: { ...r.muted, [key]: 0 } });

describe("room roles kept", () => {
  test("in the history file: changes count up, build on each other, and a change of nothing writes nothing", async () => {
    const rooms: SqliteRooms = memoryStore().roomStore;
    expect(rooms.update("#dev", (r) => r)).toEqual({ v: 0, ops: [], muted: {} });
    expect(rooms.get("#dev")).toBeUndefined();
    rooms.update("#dev", (r) => ({ ...r, owner: "sam" }));
    const after = rooms.update("#dev", mute("bo"));
    expect(after).toEqual({ v: 2, owner: "sam", ops: [], muted: { bo: 0 } });
    expect(rooms.get("#dev")).toEqual(after);
  });

  test("in Redis: two nodes changing one room at once lose none of each other's changes", async () => {
    const redis = await testRedis();
    // Each command on a connection of its own: the two nodes' reads and writes interleave.
    const node = () => new RedisRooms({ command: (name, args) => redis.command(name, ...args) });
    const [a, b] = [node(), node()];
    const changes = Array.from({ length: 10 }, (_, i) => [a.update("#dev", mute(`a${i}`)), b.update("#dev", mute(`b${i}`))]).flat();
    await Promise.all(changes);
    const kept = await a.get("#dev");
    expect(Object.keys(kept!.muted).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)].sort());
    expect(kept!.v).toBe(20);
    expect(await b.update("#dev", (r) => r)).toEqual(kept!); // nothing to change: what is kept, unwritten
    expect((await b.get("#dev"))!.v).toBe(20);
  });
});
