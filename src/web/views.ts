/// <reference lib="dom" />
// The page's views: a room ("#dev") or a private conversation ("@Sam") each, with its lines, who
// is in it and what is unread; which one is shown, and the room the server takes plain lines to.

import type { HistoryLine, KeptEvent, MessageId, PrivateLine, RoomSettings, ServerEvent, Unread } from "../protocol/events.ts";
import { settingsWords } from "../render/text.ts";
import { excerpt, toggled } from "../protocol/messages.ts";
import { mentions } from "../protocol/names.ts";
import { TYPING_SHOWN_MS } from "../core/typing.ts";
import { divider, type Kind, type LineMeta, makeLine, markDeleted, reactionsOf, setReactions, setText, type Ui } from "./dom.ts";

/** A room ("#dev") or a private conversation ("@Sam"): its lines, who is in it, what is unread. */
export interface View {
  key: string;
  /** "#dev", or the other person's name. */
  title: string;
  room: boolean;
  lines: HTMLElement;
  unread: number;
  mentioned: boolean;
  members: Map<string, string | undefined>; // name → away reason
  count: number;
  topic: string;
  /** A room's settings (invite-only, key…), as the server last said. */
  settings: RoomSettings | undefined;
  /** Older lines are kept (scrolling to the top asks for them). */
  more: boolean;
  asking: boolean;
  /** The time of the newest line read here (the read marker, as the server keeps it). */
  marker?: number;
  /** Its read marker was moved lately (at most one /read a view every READ_EVERY_MS), and lines came since. */
  reading?: { timer: ReturnType<typeof setTimeout>; again: boolean };
}

/** The page moves a view's read marker at most this often while lines come into it on screen. */
const READ_EVERY_MS = 2000;

/** What the views need of the page around them. */
export interface ViewsHost {
  send(line: string): void;
  /** Signed in and chatting (not signing in, not closed). */
  readonly chatting: boolean;
  /** A line for the sign-in form, when no view can show it. */
  loginError(text: string): void;
}

/** Lines kept per view; older ones leave the page (the server keeps history). */
const MAX_LINES = 2000;

export class Views {
  readonly views = new Map<string, View>();
  shown: View | undefined;
  /** Where plain lines go on the server: the current room. */
  currentRoom: string | undefined;
  /** The user's name, once in. */
  me = "";

  constructor(
    private readonly ui: Ui,
    private readonly host: ViewsHost,
  ) {}

  viewFor(key: string, room: boolean, title = key): View {
    let view = this.views.get(key);
    if (view) return view;
    const lines = document.createElement("div");
    view = { key, title, room, lines, unread: 0, mentioned: false, members: new Map(), count: 0, topic: "", settings: undefined, more: false, asking: false };
    if (!room) {
      view.members.set(title, undefined);
      view.members.set(this.me, undefined);
      view.count = 2;
    }
    this.views.set(key, view);
    this.showRooms();
    return view;
  }

  removeView(view: View): void {
    this.views.delete(view.key);
    if (this.shown === view) this.shown = undefined;
    this.showRooms();
  }

  show(view: View | undefined): void {
    if (!view) {
      this.ui.lines.replaceChildren();
      this.ui.viewName.textContent = "no room";
      this.ui.topic.textContent = "";
      this.ui.peopleList.replaceChildren();
      return;
    }
    this.shown = view;
    this.showTyping();
    if (view.unread > 0) this.newSince(view);
    view.unread = 0;
    view.mentioned = false;
    this.ui.lines.replaceChildren(view.lines);
    this.ui.viewName.replaceChildren(view.room ? view.key : `${view.title} (private)`, ...marks(view));
    this.ui.input.placeholder = view.room ? `Message ${view.key} (/help for commands)` : `Private message to ${view.title}`;
    this.showTopic();
    this.showPeople();
    this.showRooms();
    this.ui.chat.classList.remove("show-rooms", "show-people");
    this.scrollDown();
    // The server's current room follows the room shown: plain lines go where the user is looking.
    if (view.room && this.currentRoom !== view.key && this.host.chatting) this.host.send(`/join ${view.key}`);
    this.markRead(view);
  }

  /**
   * `view` is on screen: its read marker moves to now (every device of the user is told), at once
   * and then at most every READ_EVERY_MS while lines keep coming into it. Not while the tab is hidden.
   */
  markRead(view: View): void {
    if (!this.host.chatting || document.hidden || view !== this.shown) return;
    if (view.reading) {
      view.reading.again = true;
      return;
    }
    this.host.send(`/read ${view.room ? view.key : view.title}`);
    const reading = { again: false, timer: setTimeout(() => {
      view.reading = undefined;
      if (reading.again) this.markRead(view);
    }, READ_EVERY_MS) };
    view.reading = reading;
  }

  /** Another device of the user read `target` (a room, or "@name") up to `at`: nothing is unread there any more. */
  readElsewhere(target: string, at: number | null): void {
    const view = this.views.get(target);
    if (!view) return;
    if (at !== null) view.marker = Math.max(view.marker ?? at, at);
    if (view.unread === 0 && !view.mentioned) return;
    view.unread = 0;
    view.mentioned = false;
    this.showRooms();
  }

  /**
   * The read markers after the welcome, and what is unread since them: the room list counts it, and
   * a room shown (now or later) with unread lines has a "new since" line above the first of them.
   */
  setMarkers(markers: Readonly<Record<string, number>>, unread: Readonly<Record<string, Unread>> | undefined): void {
    for (const [key, at] of Object.entries(markers)) {
      const view = this.views.get(key);
      if (view) view.marker = at;
    }
    for (const [key, u] of Object.entries(unread ?? {})) {
      // A private conversation with unread lines is listed (its lines follow, in a history event, which names it as spelt).
      const view = key.startsWith("@") && u.count > 0 ? this.viewFor(key, false, key.slice(1)) : this.views.get(key);
      if (!view || u.count === 0) continue;
      if (key.startsWith("@") && markers[key] !== undefined) view.marker = markers[key];
      if (view === this.shown) this.newSince(view);
      else {
        view.unread = u.count;
        view.mentioned = u.mentions > 0;
      }
    }
    this.showRooms();
  }

  /** The "new since" line of `view`, above its first line after its read marker (where it is in what the page holds). */
  private newSince(view: View): void {
    view.lines.querySelector(".new-since")?.remove();
    const at = view.marker;
    if (at === undefined) return;
    const first = [...view.lines.querySelectorAll<HTMLElement>(".line[data-ts]")].find((l) => Number(l.dataset.ts) > at);
    if (!first) return;
    const line = divider(`new since ${new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`);
    line.classList.add("new-since");
    first.before(line);
  }

  /** A room's settings changed (or were first said): its marks follow. */
  setSettings(view: View, settings: RoomSettings | undefined): void {
    view.settings = settings && Object.keys(settings).length > 0 ? settings : undefined;
    if (view === this.shown) this.ui.viewName.replaceChildren(view.key, ...marks(view));
    this.showRooms();
  }

  showTopic(): void {
    this.ui.topic.textContent = this.shown?.topic ?? "";
    this.ui.topic.title = this.shown?.topic ?? "";
  }

  showRooms(): void {
    const items = [...this.views.values()]
      .sort((a, b) => Number(b.room) - Number(a.room) || a.title.localeCompare(b.title))
      .map((view) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.setAttribute("aria-current", String(view === this.shown));
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = view.room ? view.key : `@${view.title}`;
        button.append(name, ...marks(view));
        if (view.unread > 0) {
          const badge = document.createElement("span");
          badge.className = view.mentioned ? "badge mention" : "badge";
          badge.textContent = String(view.unread);
          badge.setAttribute("aria-label", `${view.unread} unread`);
          button.append(badge);
        }
        button.onclick = () => this.show(view);
        li.append(button);
        return li;
      });
    this.ui.roomList.replaceChildren(...items);
    const unread = [...this.views.values()].reduce((n, v) => n + v.unread, 0);
    document.title = unread > 0 ? `(${unread}) bunchat` : "bunchat";
  }

  showPeople(): void {
    const view = this.shown;
    if (!view) return;
    const names = [...view.members.keys()].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
    this.ui.peopleTitle.textContent = view.room ? `People (${view.count})` : "People";
    const items = names.map((name) => {
      const li = document.createElement("li");
      const away = view.members.get(name);
      li.textContent = name;
      if (away !== undefined) {
        li.className = "away";
        li.title = `away: ${away}`;
      }
      return li;
    });
    if (view.count > names.length) {
      const li = document.createElement("li");
      li.className = "more";
      li.textContent = `and ${view.count - names.length} more`;
      items.push(li);
    }
    this.ui.peopleList.replaceChildren(...items);
  }

  setMembers(view: View, users: readonly string[], away: Readonly<Record<string, string>> | undefined, count: number): void {
    view.members = new Map(users.map((n) => [n, away?.[n]]));
    view.count = count;
    if (view === this.shown) this.showPeople();
  }

  presence(room: string, joined: readonly string[], left: readonly string[], text: string, ts: number, unlisted = 0, chat = false): void {
    const view = this.views.get(room);
    if (!view) return;
    for (const name of joined) view.members.set(name, undefined);
    for (const name of left) view.members.delete(name);
    view.count = Math.max(view.members.size, view.count + joined.length - left.length + unlisted);
    // Someone who left the chat is told of once, in one room: they are gone from the others too.
    if (chat) {
      for (const other of this.views.values()) {
        if (other === view || !other.room) continue;
        for (const name of left) if (other.members.delete(name)) other.count = Math.max(other.members.size, other.count - 1);
      }
    }
    if (view === this.shown || chat) this.showPeople();
    this.system(view, text, "system", ts);
  }

  renamed(from: string, to: string, ts: number): void {
    if (from === this.me) this.me = to;
    for (const view of this.views.values()) {
      if (!view.members.has(from)) continue;
      const away = view.members.get(from);
      view.members.delete(from);
      view.members.set(to, away);
      this.system(view, `${from} is now known as ${to}`, "system", ts);
      if (view === this.shown) this.showPeople();
    }
  }

  history(event: Extract<ServerEvent, { type: "history" }>): void {
    // A private conversation's ("@Sam"): its view, made if it is not there (a catch-up of one not open yet).
    const view = event.room.startsWith("@") ? this.viewFor(event.room.toLowerCase(), false, event.room.slice(1)) : (this.views.get(event.room) ?? this.shown);
    if (!view) return;
    if (!view.room && view.title !== event.room.slice(1)) this.renamePeer(view, event.room.slice(1));
    view.more = event.more;
    view.asking = false;
    const keepScroll = this.ui.lines.scrollHeight - this.ui.lines.scrollTop;
    const block = document.createDocumentFragment();
    const holder = view.lines;
    const older = holder.querySelector(".older");
    older?.remove();
    const first = holder.firstChild;
    for (const e of event.events) block.append(this.keptLine(e));
    if (event.why === "join" && event.events.length > 0) block.append(divider("earlier lines above"));
    holder.insertBefore(block, first);
    if (view.more) holder.prepend(this.olderButton(view));
    if (view === this.shown) {
      if (event.why === "request") this.ui.lines.scrollTop = this.ui.lines.scrollHeight - keepScroll;
      else this.scrollDown();
    }
  }

  keptLine(e: HistoryLine): HTMLElement {
    if (e.type === "topic") return makeLine(e.text === "" ? `${e.by} cleared the topic` : `${e.by} set the topic: ${e.text}`, e.ts, undefined, "system");
    if (e.type === "private" || e.type === "private-sent") return makeLine(e.text, e.ts, e.type === "private" ? e.from : this.me, "private", "", false, false, this.privateMeta(e));
    return makeLine(e.text, e.ts, e.from, e.type === "action" ? "action" : "said", "", this.mentions(e.text), e.type === "public" && e.bot === true, this.meta(e));
  }

  /** What a private line shows besides its text: edited, and whether it is ours (edit, delete: its only actions). */
  privateMeta(e: PrivateLine): LineMeta {
    return { id: e.id, ...(e.edited !== undefined ? { edited: e.edited } : {}), me: this.me, mine: e.type === "private-sent", only: "own" };
  }

  /** What a room line shows besides its text: what it answers, edited, its reactions, whether it is ours. */
  meta(e: Extract<KeptEvent, { type: "public" | "action" }>): LineMeta {
    return { id: e.id, ...(e.reply ? { reply: e.reply } : {}), ...(e.edited !== undefined ? { edited: e.edited } : {}), ...(e.reactions ? { reactions: e.reactions } : {}), ...(e.file ? { file: e.file } : {}), me: this.me, mine: e.from === this.me && !(e.type === "public" && e.bot) };
  }

  line(view: View, text: string, ts: number | undefined, from: string | undefined, kind: Kind, prefix = "", mention = false, bot = false, meta?: LineMeta): void {
    const atBottom = view === this.shown && this.ui.lines.scrollHeight - this.ui.lines.scrollTop - this.ui.lines.clientHeight < 40;
    view.lines.append(makeLine(text, ts, from, kind, prefix, mention, bot, meta));
    while (view.lines.childElementCount > MAX_LINES) view.lines.firstElementChild?.remove();
    if (atBottom) this.scrollDown();
  }

  /** A private conversation's view named as the server spells the other's name ("Sam", where the unread count said "sam"). */
  private renamePeer(view: View, name: string): void {
    view.members.delete(view.title);
    view.members.set(name, undefined);
    view.title = name;
    this.showRooms();
  }

  /** Who is typing, by view key: name -> until when it is shown. */
  private readonly typists = new Map<string, Map<string, number>>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  /** Someone is typing (or stopped) in a room, or to us: shown under the lines of that view while it lasts. */
  typing(from: string, room: string | undefined, active: boolean, now = Date.now()): void {
    const key = room ?? `@${from.toLowerCase()}`;
    let here = this.typists.get(key);
    if (!here) this.typists.set(key, (here = new Map()));
    if (active) here.set(from, now + TYPING_SHOWN_MS);
    else here.delete(from);
    this.showTyping();
  }

  /** The typing line of the view shown, and a timer for when the next typist is no longer shown. */
  showTyping(now = Date.now()): void {
    clearTimeout(this.typingTimer);
    const here = this.shown ? this.typists.get(this.shown.key) : undefined;
    for (const [name, until] of here ?? []) if (until <= now) here!.delete(name);
    const names = [...(here?.keys() ?? [])];
    this.ui.typing.hidden = names.length === 0;
    this.ui.typing.textContent = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length <= 3 ? `${names.join(", ")} are typing…` : "Several people are typing…";
    const next = Math.min(...(here?.values() ?? []));
    if (Number.isFinite(next)) this.typingTimer = setTimeout(() => this.showTyping(), Math.max(50, next - now));
  }

  /** Line `id` of room `room` (or of the private conversation "@Sam"), if the page shows it. */
  lineOf(room: string, id: MessageId): HTMLElement | undefined {
    const view = this.views.get(room.startsWith("@") ? room.toLowerCase() : room);
    return view?.lines.querySelector<HTMLElement>(`.line[data-id="${CSS.escape(String(id))}"]`) ?? undefined;
  }

  /** An edit, a delete or a reaction: the line changes where it is shown, and the room is told in words. */
  changed(event: Extract<ServerEvent, { type: "edit" | "delete" | "react" }>, words: string): void {
    const row = this.lineOf(event.room, event.id);
    if (row && event.type === "edit") setText(row, event.text);
    if (row && event.type === "delete") markDeleted(row, event.by === event.of ? "(deleted)" : `(deleted by ${event.by})`);
    if (row && event.type === "react") {
      const now = toggled(reactionsOf(row), event.from, event.emoji, event.on);
      setReactions(row, now, this.me);
    }
    // Answers on the page quote the line as it is now (or say it is gone).
    if (event.type !== "react") {
      const view = this.views.get(event.room.startsWith("@") ? event.room.toLowerCase() : event.room);
      for (const quote of view?.lines.querySelectorAll<HTMLElement>(`.quote[data-target="${CSS.escape(String(event.id))}"]`) ?? []) {
        quote.textContent = event.type === "edit" ? `↪ ${event.of}: ${excerpt(event.text)}` : "↪ a line no longer kept";
      }
    }
    // The change shows on the line itself; said in words only when the line is not on the page.
    if (!row) this.system(this.views.get(event.room.startsWith("@") ? event.room.toLowerCase() : event.room), words, "system", event.ts);
  }

  /** A line and every answer to it the page holds, in a dialog. */
  thread(view: View, id: MessageId): void {
    const parent = view.lines.querySelector<HTMLElement>(`.line[data-id="${CSS.escape(String(id))}"]`);
    const answers = [...view.lines.querySelectorAll<HTMLElement>(`.line .quote[data-target="${CSS.escape(String(id))}"]`)].map((q) => q.closest<HTMLElement>(".line")!);
    const copies = [parent, ...answers].filter((l): l is HTMLElement => l !== null).map((l) => l.cloneNode(true) as HTMLElement);
    for (const copy of copies) copy.querySelector(".actions")?.remove();
    this.ui.threadLines.replaceChildren(...copies);
    if (copies.length === 0) this.ui.threadLines.textContent = "That line is no longer on the page.";
    if (!this.ui.thread.open) this.ui.thread.showModal();
  }

  system(view: View | undefined, text: string, kind: Kind = "system", ts?: number): void {
    const target = view ?? this.shown;
    if (!target) return this.host.loginError(text);
    this.line(target, text, ts, undefined, kind);
  }

  olderButton(view: View): HTMLElement {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "older";
    button.textContent = "Earlier lines";
    button.onclick = () => this.askOlder(view);
    return button;
  }

  /** Earlier lines of the room shown (it must be the current one), or of the private conversation, from the server's history. */
  askOlder(view: View): void {
    if (!view.more || view.asking || view !== this.shown || (view.room && this.currentRoom !== view.key)) return;
    view.asking = true;
    this.host.send(view.room ? "/history 50" : `/history ${view.title} 50`);
  }

  scrollDown(): void {
    this.ui.lines.scrollTop = this.ui.lines.scrollHeight;
  }

  /** A line arrived in `view`: counted as unread unless it is shown, and notified when it mentions the user. */
  arrived(view: View, mention: boolean, title: string, text: string): void {
    this.markRead(view); // read as it comes, when it is on screen
    if (view !== this.shown || document.hidden) {
      if (view !== this.shown) {
        view.unread++;
        view.mentioned ||= mention;
        this.showRooms();
      }
      if (mention && document.hidden && "Notification" in window && Notification.permission === "granted") {
        new Notification(title, { body: text, tag: view.key });
      }
    }
  }

  mentions(text: string): boolean {
    return mentions(text, this.me);
  }
}

/** A lock for a room one must be invited to, a key for one with a password; their words on hover and for screen readers. */
function marks(view: View): HTMLElement[] {
  const s = view.settings;
  if (!s) return [];
  const symbols = `${s.inviteOnly || s.secret ? "\u{1F512}" : ""}${s.keyed ? "\u{1F511}" : ""}`;
  const mark = document.createElement("span");
  mark.className = "marks";
  mark.textContent = symbols || "\u2699";
  mark.title = settingsWords(s);
  mark.setAttribute("aria-label", settingsWords(s));
  return [mark];
}
