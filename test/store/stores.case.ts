// What every store must do, called through its interface with no server in between: the history
// (HistoryStore) and registered names (AccountStore), run against bun:sqlite (stores.test.ts) and
// Redis (test/cluster/stores.test.ts). The same behaviours seen by users through real sockets are
// in history.case.ts and accounts.case.ts.

import { describe, expect, test } from "bun:test";
import { keepIn, type Unsaid } from "../helpers/kept.ts";
import type { Account, AccountStore } from "../../src/store/accounts.ts";
import { conversationKey, type HistoryStore, type Kept } from "../../src/store/history.ts";
import { MARKERS_PER_ACCOUNT, type MarkerStore } from "../../src/store/markers.ts";
import type { Session, SessionStore } from "../../src/store/sessions.ts";
import { until } from "../helpers/until.ts";

/** A history store under test; `settle` waits until what was kept can be read back (Redis writes a turn later). */
export type MakeHistoryStore = () => Promise<{ store: HistoryStore; settle(room: string, count: number): Promise<void> }>;
export type MakeAccountStore = () => Promise<AccountStore>;

const line = (room: string, from: string, text: string, ts: number): Unsaid => ({ type: "public", room, from, text, ts });
const texts = (kept: readonly Kept[]) => kept.map((k) => ("text" in k.event ? k.event.text : ""));

/** Waits until `store` holds `count` lines of `room` (bounded: `until`'s 2 s). */
export function settleBy(store: HistoryStore) {
  return (room: string, count: number) => until(async () => (await store.recent(room, count + 1)).length >= count);
}

export function historyStoreBehaviour(label: string, make: MakeHistoryStore): void {
  describe(`HistoryStore (${label})`, () => {
    test("recent: the newest lines of one room, oldest first; other rooms' lines are not in it", async () => {
      const { store, settle } = await make();
      for (let i = 1; i <= 5; i++) keepIn(store, line("#dev", "Sam", `dev ${i}`, 1000 + i));
      keepIn(store, line("#ops", "Kim", "ops 1", 2000));
      store.flush();
      await settle("#dev", 5);
      await settle("#ops", 1);
      expect(texts(await store.recent("#dev", 3))).toEqual(["dev 3", "dev 4", "dev 5"]);
      expect(texts(await store.recent("#dev", 10))).toEqual(["dev 1", "dev 2", "dev 3", "dev 4", "dev 5"]);
      expect(texts(await store.recent("#ops", 10))).toEqual(["ops 1"]);
      expect(await store.recent("#nowhere", 10)).toEqual([]);
    });

    test("before: pages back from a line's cursor, oldest first, to the start of the room", async () => {
      const { store, settle } = await make();
      for (let i = 1; i <= 7; i++) keepIn(store, line("#dev", "Sam", `n${i}`, 1000 + i));
      store.flush();
      await settle("#dev", 7);
      const newest = await store.recent("#dev", 2);
      expect(texts(newest)).toEqual(["n6", "n7"]);
      const page = await store.before("#dev", 3, newest[0]!.id);
      expect(texts(page)).toEqual(["n3", "n4", "n5"]);
      expect(texts(await store.before("#dev", 10, page[0]!.id))).toEqual(["n1", "n2"]);
      expect(await store.before("#dev", 10, (await store.recent("#dev", 7))[0]!.id)).toEqual([]);
    });

    test("after: the lines after a cursor, oldest first, a page at a time, to the newest (what a device that last had a line missed)", async () => {
      const { store, settle } = await make();
      for (let i = 1; i <= 7; i++) keepIn(store, line("#dev", "Sam", `n${i}`, 1000 + i));
      keepIn(store, line("#ops", "Kim", "ops", 1100));
      store.flush();
      await settle("#dev", 7);
      const all = await store.recent("#dev", 7);
      expect(texts(await store.after("#dev", 3, all[1]!.id))).toEqual(["n3", "n4", "n5"]);
      expect(texts(await store.after("#dev", 10, all[4]!.id))).toEqual(["n6", "n7"]);
      expect(await store.after("#dev", 10, all[6]!.id)).toEqual([]);
      // A line said after the cursor was read is found next time, written or not.
      keepIn(store, line("#dev", "Sam", "n8", 1008));
      await settle("#dev", 8);
      expect(texts(await store.after("#dev", 10, all[6]!.id))).toEqual(["n8"]);
    });

    test("at: the first line said at a time or later; none past the newest", async () => {
      const { store, settle } = await make();
      const now = Date.now(); // Redis's stream ids come from the clock: times near it
      for (let i = 1; i <= 5; i++) keepIn(store, line("#dev", "Sam", `t${i}`, now + i * 10));
      store.flush();
      await settle("#dev", 5);
      expect((await store.at("#dev", now + 20))?.event.text).toBe("t2");
      expect((await store.at("#dev", now + 21))?.event.text).toBe("t3");
      expect((await store.at("#dev", 0))?.event.text).toBe("t1");
      expect(await store.at("#dev", now + 51)).toBeUndefined();
      expect(await store.at("#nowhere", now)).toBeUndefined();
    });

    test("each kind of line comes back as it was kept: a line, an action, a topic (with who and when)", async () => {
      const { store, settle } = await make();
      const unsaid: Unsaid[] = [
        line("#dev", "Sam", "hello", 1001),
        { type: "action", room: "#dev", from: "Ana", text: "waves", ts: 1002 },
        { type: "topic", room: "#dev", by: "Kim", text: "release day", ts: 1003 },
      ];
      const kept = unsaid.map((e) => keepIn(store, e));
      store.flush();
      await settle("#dev", 3);
      expect((await store.recent("#dev", 3)).map((k) => k.event)).toEqual(kept);
    });

    test("topic: the last one set, kept while nobody is in the room; an empty topic clears it", async () => {
      const { store, settle } = await make();
      keepIn(store, { type: "topic", room: "#dev", by: "Kim", text: "first", ts: 1001 });
      keepIn(store, { type: "topic", room: "#dev", by: "Ana", text: "second", ts: 1002 });
      store.flush();
      await settle("#dev", 2);
      await until(async () => (await store.topic("#dev"))?.text === "second");
      expect(await store.topic("#dev")).toEqual({ text: "second", by: "Ana", ts: 1002 });
      expect(await store.topic("#ops")).toBeUndefined();
      keepIn(store, { type: "topic", room: "#dev", by: "Ana", text: "", ts: 1003 });
      store.flush();
      await until(async () => (await store.topic("#dev")) === undefined);
    });

    test("search: whole words and prefixes, every word in the line, only in the rooms asked, newest first", async () => {
      const { store, settle } = await make();
      keepIn(store, line("#dev", "Sam", "the deploy failed", 1001));
      keepIn(store, line("#dev", "Ana", "deployment fixed", 1002));
      keepIn(store, line("#dev", "Kim", "lunch?", 1003));
      keepIn(store, line("#ops", "Bo", "deploy on ops", 1004));
      store.flush();
      await settle("#dev", 3);
      await settle("#ops", 1);
      const find = async (rooms: string[], ...terms: [string, boolean][]) =>
        texts(await store.search(rooms, { terms: terms.map(([word, prefix]) => ({ word, prefix })) }));
      expect(await find(["#dev"], ["deploy", false])).toEqual(["the deploy failed"]);
      expect(await find(["#dev"], ["deploy", true])).toEqual(["deployment fixed", "the deploy failed"]);
      expect(await find(["#dev", "#ops"], ["deploy", false])).toEqual(["deploy on ops", "the deploy failed"]);
      expect(await find(["#dev"], ["deploy", false], ["failed", false])).toEqual(["the deploy failed"]);
      expect(await find(["#dev"], ["nothing", false])).toEqual([]);
    });
  });
}


export function messageStoreBehaviour(label: string, make: MakeHistoryStore): void {
  describe(`HistoryStore: lines with identity (${label})`, () => {
    const said = async () => {
      const { store, settle } = await make();
      const first = keepIn(store, line("#dev", "Sam", "the bild is green", 1001));
      const answer = keepIn(store, { type: "public", room: "#dev", from: "Ana", text: "great", ts: 1002, reply: { id: first.id, from: "Sam", text: "the bild" } });
      const other = keepIn(store, line("#ops", "Bo", "ops line", 1003));
      store.flush();
      await settle("#dev", 2);
      await settle("#ops", 1);
      return { store, settle, first, answer, other };
    };

    test("find: a line by its id, with what it answers (its id only: the quote is made when shown); another room's id is not found", async () => {
      const { store, first, answer, other } = await said();
      expect((await store.find("#dev", first.id))?.event).toEqual(first);
      expect((await store.find("#dev", answer.id))?.event as unknown).toEqual({ ...answer, reply: { id: first.id } });
      expect((await store.recent("#dev", 2))[1]!.event as unknown).toEqual({ ...answer, reply: { id: first.id } });
      expect(await store.find("#dev", other.id)).toBeUndefined(); // a line of #ops, asked of #dev
      expect(await store.find("#dev", typeof first.id === "number" ? 999_999 : "1-999999")).toBeUndefined();
    });

    test("edit: the new text is read back, marked with when; search finds the new words and not the old", async () => {
      const { store, first } = await said();
      const edited = await store.edit("#dev", first.id, "the build is green", 2000);
      expect(edited?.event as unknown).toEqual({ ...first, text: "the build is green", edited: 2000 });
      expect((await store.find("#dev", first.id))?.event as unknown).toEqual({ ...first, text: "the build is green", edited: 2000 });
      expect(texts(await store.recent("#dev", 2))).toEqual(["the build is green", "great"]);
      expect(texts(await store.search(["#dev"], { terms: [{ word: "build", prefix: false }] }))).toEqual(["the build is green"]);
      expect(await store.search(["#dev"], { terms: [{ word: "bild", prefix: false }] })).toEqual([]);
    });

    test("remove: the line is gone from recent, find and search, with its reactions; the others stay", async () => {
      const { store, first, answer } = await said();
      await store.react("#dev", first.id, "Kim", "👍", true, 3000);
      const removed = await store.remove("#dev", first.id);
      expect(removed?.event.text).toBe("the bild is green");
      expect(await store.find("#dev", first.id)).toBeUndefined();
      expect(texts(await store.recent("#dev", 5))).toEqual(["great"]);
      expect(await store.search(["#dev"], { terms: [{ word: "bild", prefix: false }] })).toEqual([]);
      expect(await store.remove("#dev", first.id)).toBeUndefined(); // gone already
      expect((await store.find("#dev", answer.id))?.event.text).toBe("great");
    });

    test("react: put on, by another, taken back; read back with the line, emoji and names first first", async () => {
      const { store, first } = await said();
      await store.react("#dev", first.id, "Kim", "👍", true, 3000);
      await store.react("#dev", first.id, "Bo", "🎉", true, 3001);
      const now = await store.react("#dev", first.id, "Ana", "👍", true, 3002);
      const both = [{ emoji: "👍", names: ["Kim", "Ana"] }, { emoji: "🎉", names: ["Bo"] }];
      expect(now?.event as unknown).toEqual({ ...first, reactions: both });
      expect((await store.recent("#dev", 2))[0]!.event as unknown).toEqual({ ...first, reactions: both });
      const back = await store.react("#dev", first.id, "Kim", "👍", false, 3003);
      // Which of the emoji left comes first is the store's (by when first put on, or by the earliest still there).
      const left = back?.event.type === "topic" ? [] : [...(back?.event.reactions ?? [])].sort((a, b) => a.emoji.localeCompare(b.emoji));
      expect(left).toEqual([{ emoji: "🎉", names: ["Bo"] }, { emoji: "👍", names: ["Ana"] }].sort((a, b) => a.emoji.localeCompare(b.emoji)));
      await store.react("#dev", first.id, "Ana", "👍", false, 3004);
      await store.react("#dev", first.id, "Bo", "🎉", false, 3005);
      expect((await store.find("#dev", first.id))?.event).toEqual(first); // none left: no reactions field
    });
  });
}

export function conversationStoreBehaviour(label: string, make: MakeHistoryStore): void {
  describe(`HistoryStore: private conversations (${label})`, () => {
    test("a conversation's lines under its key, for either of the two; each account's conversations newest first; search, edit and remove by key", async () => {
      const { store, settle } = await make();
      const anaSam = conversationKey("ana", "sam");
      expect(anaSam).toBe(conversationKey("sam", "ana"));
      const anaBo = conversationKey("ana", "bo");
      const first = keepIn(store, { type: "private", room: anaSam, from: "Sam", text: "the vault code is 1234", ts: 1001 });
      keepIn(store, { type: "private", room: anaSam, from: "Ana", text: "thanks", ts: 1002 });
      keepIn(store, { type: "private", room: anaBo, from: "Bo", text: "lunch?", ts: 1003 });
      keepIn(store, line("#dev", "Sam", "a room line about the vault", 1004));
      store.flush();
      await settle(anaSam, 2);
      await settle(anaBo, 1);
      expect((await store.recent(anaSam, 5)).map((k) => k.event)).toEqual([first, expect.objectContaining({ type: "private", room: anaSam, from: "Ana", text: "thanks" })]);
      await until(async () => (await store.conversations("ana")).length === 2);
      expect(await store.conversations("ana")).toEqual([
        { key: anaBo, with: "bo", last: 1003 },
        { key: anaSam, with: "sam", last: 1002 },
      ]);
      expect(await store.conversations("sam")).toEqual([{ key: anaSam, with: "ana", last: 1002 }]);
      expect(await store.conversations("kim")).toEqual([]);
      const vault = { terms: [{ word: "vault", prefix: false }] };
      expect(texts(await store.search([anaSam], vault))).toEqual(["the vault code is 1234"]);
      expect(texts(await store.search([anaBo, "#ops"], vault))).toEqual([]);
      expect((await store.edit(anaSam, first.id, "the vault code is in the safe", 2000))?.event).toMatchObject({ type: "private", from: "Sam", edited: 2000 });
      expect(await store.find(anaBo, first.id)).toBeUndefined(); // another conversation's id
      await store.remove(anaSam, first.id);
      expect(texts(await store.recent(anaSam, 5))).toEqual(["thanks"]);
      expect(await store.search([anaSam], vault)).toEqual([]);
    });
  });
}

export function accountStoreBehaviour(label: string, make: MakeAccountStore): void {
  describe(`AccountStore (${label})`, () => {
    const sam: Account = { name: "Sam", hash: "$argon2id$v=19$…", created: 1_700_000_000_000 };

    test("an account put is got back by its key, field by field; a key never put is undefined", async () => {
      const store = await make();
      expect(await store.get("sam")).toBeUndefined();
      await store.put("sam", sam);
      expect(await store.get("sam")).toEqual({ ...sam, ignores: [] });
      expect(await store.get("ana")).toBeUndefined();
    });

    test("put again replaces it (a new password, an ignore list); a bot's mark is kept", async () => {
      const store = await make();
      await store.put("sam", sam);
      await store.put("sam", { ...sam, hash: "new", ignores: ["bo", "kim"] });
      expect(await store.get("sam")).toEqual({ ...sam, hash: "new", ignores: ["bo", "kim"] });
      await store.put("ci", { name: "ci", hash: "", created: 1, bot: true });
      expect((await store.get("ci"))?.bot).toBe(true);
    });

    test("remove: gone, and the name can be put again", async () => {
      const store = await make();
      await store.put("sam", sam);
      await store.remove("sam");
      expect(await store.get("sam")).toBeUndefined();
      await store.remove("sam"); // removing what is gone is no error
      await store.put("sam", { ...sam, name: "SAM" });
      expect((await store.get("sam"))?.name).toBe("SAM");
    });
  });
}

export function markerStoreBehaviour(label: string, make: () => Promise<MarkerStore>): void {
  describe(`MarkerStore (${label})`, () => {
    test("markers per account and target: set, read back all at once, moved forward only; other accounts' are apart", async () => {
      const store = await make();
      expect(await store.all("sam")).toEqual({});
      await store.set("sam", "#dev", 2000);
      await store.set("sam", "@kim", 1500);
      await store.set("ana", "#dev", 9000);
      await store.set("sam", "#dev", 1000); // older: nothing moves
      expect(await store.all("sam")).toEqual({ "#dev": 2000, "@kim": 1500 });
      await store.set("sam", "#dev", 3000);
      expect(await store.all("sam")).toEqual({ "#dev": 3000, "@kim": 1500 });
      expect(await store.all("ana")).toEqual({ "#dev": 9000 });
    });

    test(`at most ${MARKERS_PER_ACCOUNT} targets an account: past it, the one read longest ago goes`, async () => {
      const store = await make();
      for (let i = 0; i < MARKERS_PER_ACCOUNT; i++) await store.set("sam", `#r${i}`, 10_000 + i);
      await store.set("sam", "#new", 1); // the oldest time of all, but the one just read stays
      const all = await store.all("sam");
      expect(Object.keys(all)).toHaveLength(MARKERS_PER_ACCOUNT);
      expect(all["#new"]).toBe(1);
      expect(all["#r0"]).toBeUndefined();
      expect(all["#r1"]).toBe(10_001);
    });
  });
}

export function sessionStoreBehaviour(label: string, make: () => Promise<SessionStore>): void {
  describe(`SessionStore (${label})`, () => {
    const session = (id: string, account: string, used = 1): Session => ({ id, account, hash: "ab".repeat(32), created: 1, expires: 10, used });

    test("sessions by id and by account; removed one by one or all of an account at once", async () => {
      const store = await make();
      await store.put(session("000000000001", "sam"));
      await store.put(session("000000000002", "sam", 5));
      await store.put(session("000000000003", "kim"));
      expect(await store.get("000000000002")).toEqual(session("000000000002", "sam", 5));
      expect((await store.of("sam")).map((s) => s.id)).toEqual(["000000000001", "000000000002"]);
      expect(await store.remove("000000000001")).toBe(true);
      expect(await store.remove("000000000001")).toBe(false);
      expect((await store.of("sam")).map((s) => s.id)).toEqual(["000000000002"]);
      await store.put({ ...session("000000000002", "sam"), used: 9, expires: 99 }); // renewed in place
      expect(await store.get("000000000002")).toMatchObject({ used: 9, expires: 99 });
      await store.removeAll("sam");
      expect(await store.of("sam")).toEqual([]);
      expect(await store.get("000000000002")).toBeUndefined();
      expect((await store.of("kim")).map((s) => s.id)).toEqual(["000000000003"]);
    });
  });
}
