/// <reference lib="dom" />
// The browser client: the chat over a WebSocket (/ws), the same JSON events as the bundled client.
// Bundled with the protocol's own decoder, command table and sentences (scripts/page.ts makes
// app.bundle.js, which the server serves), so the page says what the server and the terminal
// client say. User text only ever reaches the page as text nodes (textContent), never as markup.

import { type KeptEvent, leftRoomOnly, type ServerEvent } from "../protocol/events.ts";
import { decodeEvent } from "../protocol/decode.ts";
import { COMMANDS } from "../protocol/commands.ts";
import { toText } from "../render/text.ts";

/**
 * The server's own words for an event, as its plain-text users read them, without the markers a
 * terminal needs ("--> ", "<-- ", "-- ", "--- ", "! "): the page shows them as system lines.
 */
function words(event: ServerEvent): string {
  return toText(event)
    .split("\n")
    .map((l) => l.replace(/^(-->|<--|---|--|!!|!) /, ""))
    .join("\n");
}

/** A room ("#dev") or a private conversation ("@Sam"): its lines, who is in it, what is unread. */
interface View {
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
  /** Older lines are kept (scrolling to the top asks for them). */
  more: boolean;
  asking: boolean;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  login: $("login"),
  loginForm: $<HTMLFormElement>("login-form"),
  loginLabel: $("login-label"),
  loginInput: $<HTMLInputElement>("login-input"),
  loginButton: $<HTMLButtonElement>("login-button"),
  loginNote: $("login-note"),
  loginError: $("login-error"),
  chat: $("chat"),
  viewName: $("view-name"),
  topic: $("topic"),
  status: $("status"),
  notify: $<HTMLButtonElement>("notify"),
  roomList: $("room-list"),
  lines: $("lines"),
  peopleTitle: $("people-title"),
  peopleList: $("people-list"),
  sendForm: $<HTMLFormElement>("send-form"),
  input: $<HTMLInputElement>("input"),
};

/** Reconnecting waits this long at first, doubling up to the most (plus up to a fifth at random). */
const RETRY_FIRST_MS = 1000;
const RETRY_MOST_MS = 30_000;
/** Lines kept per view; older ones leave the page (the server keeps history). */
const MAX_LINES = 2000;
const RECALL_MAX = 100;

let socket: WebSocket | undefined;
let phase: "connecting" | "password" | "name" | "login" | "chat" | "closed" = "connecting";
let me = "";
/** What the user answered, kept in this tab's memory only, to sign in again after a reconnect. */
let wantedName = "";
let secret: string | undefined;
let serverPassword: string | undefined;
let leaving = false;
let retryMs = RETRY_FIRST_MS;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
/** The server's last word while signing in (shown again if it then closes the connection). */
let lastError = "";
/** Rooms to join again after a reconnect, and the one that was current. */
let rejoin: string[] = [];
let wasCurrent: string | undefined;
const views = new Map<string, View>();
let shown: View | undefined;
/** Where plain lines go on the server: the current room. */
let currentRoom: string | undefined;
const recall: string[] = [];
let recallAt = -1;
let completion: { stem: string; start: number; matches: string[]; at: number } | undefined;

// ---- The connection ----

function connect(): void {
  clearTimeout(retryTimer);
  phase = "connecting";
  setStatus("connecting…");
  const url = new URL("/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  socket = ws;
  const decoder = new TextDecoder();
  let pending = "";
  // The WebSocket speaks JSON from its first line: the server's hello and question come unasked.
  ws.onmessage = (message) => {
    pending += typeof message.data === "string" ? message.data : decoder.decode(message.data as ArrayBuffer, { stream: true });
    let end: number;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      // Checked field by field, as every client of the protocol does: nothing unchecked is rendered.
      const event = line.startsWith("{") ? decodeEvent(line) : undefined;
      if (event) handle(event);
    }
  };
  ws.onclose = (close) => {
    if (socket !== ws) return;
    socket = undefined;
    if (leaving) return showClosed("You left the chat. Reload the page to come back.");
    if (phase === "chat") {
      rejoin = [...views.values()].filter((v) => v.room).map((v) => v.key);
      wasCurrent = currentRoom;
    }
    const wait = Math.round(retryMs * (1 + Math.random() / 5));
    retryMs = Math.min(RETRY_MOST_MS, retryMs * 2);
    const why = close.reason && close.reason !== "bye" ? ` (${close.reason})` : "";
    const again = `trying again in ${Math.ceil(wait / 1000)} s`;
    setStatus(`disconnected${why}; ${again}`, true);
    if (phase !== "chat") loginError(`${lastError || `Can't reach the server${why}.`} Connecting again in ${Math.ceil(wait / 1000)} s.`);
    retryTimer = setTimeout(connect, wait);
  };
}

function send(line: string): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(line);
}

function showClosed(why: string): void {
  phase = "closed";
  setStatus(why, true);
  ui.input.disabled = true;
}

// ---- Events from the server ----

function handle(event: ServerEvent): void {
  switch (event.type) {
    case "hello":
      return;
    case "ask-password":
      if (serverPassword !== undefined) return send(serverPassword);
      return ask("password", "The server's password", "", "current-password");
    case "ask-name":
      if (phase === "chat" || (phase === "connecting" && wantedName !== "")) {
        phase = "name";
        return send(wantedName);
      }
      return ask("name", "Your name", "");
    case "ask-login":
      if (phase === "name" && secret !== undefined && event.name.toLowerCase() === wantedName.toLowerCase()) {
        phase = "login";
        return send(secret);
      }
      secret = undefined;
      return ask(
        "login",
        `${event.name} is a registered name: its password`,
        event.unencrypted ? "This connection is not encrypted: the password travels in the clear. An empty answer picks another name." : "An empty answer picks another name.",
        "current-password",
      );
    case "welcome":
      return welcome(event);
    case "error":
      if (phase !== "chat") {
        if (phase === "login") secret = undefined;
        if (phase === "password") serverPassword = undefined;
        if (phase === "name" && ui.login.hidden) wantedName = ""; // a reconnect found the name taken: ask
        return loginError(event.message);
      }
      return system(shown ?? undefined, event.message, "error");
    case "public":
    case "action":
      return said(event);
    case "private":
      return privateLine(event.from, event.from, event.text, event.ts, true);
    case "private-sent":
      return privateLine(event.to, me, event.text, event.ts, false);
    // Coming into the chat and leaving it are the chat's events (told once, in one room); joining
    // or leaving one room is that room's.
    case "join":
      return presence(event.room, [event.name], [], words(event), event.ts);
    case "joins":
      return presence(event.room, event.names, [], words(event), event.ts, event.count - event.names.length);
    case "leave":
      return presence(event.room, [], [event.name], words(event), event.ts, 0, !leftRoomOnly(event.reason));
    case "leaves":
      return presence(event.room, [], event.users.map((u) => u.name), words(event), event.ts, -(event.count - event.users.length), !event.users.every((u) => leftRoomOnly(u.reason)));
    case "rename":
      return renamed(event.from, event.to, event.ts);
    case "room":
      return enteredRoom(event);
    case "parted": {
      const view = views.get(event.room);
      if (view) removeView(view);
      currentRoom = event.current;
      const next = event.current ? views.get(event.current) : undefined;
      show(next ?? [...views.values()][0]);
      const why = event.kicked ? `You were put out of ${event.room} ${event.kicked}.` : `You left ${event.room}.`;
      return system(shown, event.current ? why : `${why} You are in no room now: /join #room to talk.`, event.kicked ? "error" : "system");
    }
    case "topic": {
      const view = views.get(event.room);
      if (!view) return;
      view.topic = event.text;
      if (view === shown) showTopic();
      return system(view, words({ ...event, room: "" }), "system", event.ts); // in the room's own view: no [#room] tag
    }
    case "topic-is":
    case "rooms":
    case "users":
    case "whois":
    case "away":
    case "away-notice":
    case "help":
    case "pong":
      return system(event.type === "away-notice" ? (views.get(`@${event.name.toLowerCase()}`) ?? shown) : shown, words(event));
    case "history":
      return history(event);
    case "search": {
      if (event.events.length === 0) return system(shown, `No line in your rooms has "${event.query}".`);
      system(shown, `${event.events.length} line(s) with "${event.query}", newest first:`);
      for (const e of event.events) line(shown!, e.type === "topic" ? `${e.by} set the topic: ${e.text}` : e.text, e.ts, e.type === "topic" ? undefined : e.from, "system", `${e.room} `);
      return;
    }
    case "notice":
      return system(shown, event.text, "system", event.ts);
    case "ping":
      return send("");
    case "bye":
      leaving = true;
      return;
    case "shutdown":
      return system(shown, "The server is shutting down; this page will reconnect when it is back.", "error");
    default:
      return event satisfies never;
  }
}

function welcome(event: Extract<ServerEvent, { type: "welcome" }>): void {
  phase = "chat";
  me = event.name;
  wantedName = event.name;
  retryMs = RETRY_FIRST_MS;
  setStatus("");
  clearLoginError();
  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.input.disabled = false;
  // A reconnect: the views stay; each room is joined again (the server answers with its members).
  for (const view of views.values()) if (view.room && !event.rooms.includes(view.key)) view.members.clear();
  const room = viewFor(event.room, true);
  room.lines.replaceChildren(); // its history follows, as on joining
  setMembers(room, event.users, event.away, event.count ?? event.users.length);
  room.topic = event.topic?.text ?? "";
  currentRoom = event.room;
  for (const name of event.rooms) viewFor(name, true);
  if (!shown || !views.has(shown.key)) show(room);
  else show(shown);
  for (const name of rejoin) if (!event.rooms.includes(name)) send(`/join ${name}`);
  if (wasCurrent && wasCurrent !== event.room && rejoin.includes(wasCurrent)) send(`/join ${wasCurrent}`);
  if (rejoin.length > 0) {
    setStatus("reconnected");
    setTimeout(() => ui.status.textContent === "reconnected" && setStatus(""), 5000);
  }
  rejoin = [];
  ui.input.focus();
}

function enteredRoom(event: Extract<ServerEvent, { type: "room" }>): void {
  const view = viewFor(event.room, true);
  setMembers(view, event.users, event.away, event.count);
  view.topic = event.topic?.text ?? "";
  currentRoom = event.room;
  if (event.joined) view.lines.replaceChildren(); // its history follows
  show(view);
  if (event.joined) system(view, `You joined ${event.room}.${view.topic ? ` Topic: ${view.topic}` : ""}`);
}

function said(event: Extract<ServerEvent, { type: "public" | "action" }>): void {
  const view = viewFor(event.room, true);
  const mention = mentions(event.text);
  const kind = event.type === "action" ? "action" : "said";
  line(view, event.text, event.ts, event.from, kind, "", mention, event.type === "public" && event.bot === true);
  arrived(view, mention, `${event.from} in ${event.room}`, event.text);
}

function privateLine(peer: string, from: string, text: string, ts: number, incoming: boolean): void {
  const view = viewFor(`@${peer.toLowerCase()}`, false, peer);
  line(view, text, ts, from, "private", "", false);
  if (incoming) arrived(view, true, `${from} (private)`, text);
}

function presence(room: string, joined: readonly string[], left: readonly string[], text: string, ts: number, unlisted = 0, chat = false): void {
  const view = views.get(room);
  if (!view) return;
  for (const name of joined) view.members.set(name, undefined);
  for (const name of left) view.members.delete(name);
  view.count = Math.max(view.members.size, view.count + joined.length - left.length + unlisted);
  // Someone who left the chat is told of once, in one room: they are gone from the others too.
  if (chat) {
    for (const other of views.values()) {
      if (other === view || !other.room) continue;
      for (const name of left) if (other.members.delete(name)) other.count = Math.max(other.members.size, other.count - 1);
    }
  }
  if (view === shown || chat) showPeople();
  system(view, text, "system", ts);
}

function renamed(from: string, to: string, ts: number): void {
  if (from === me) me = to;
  if (from === wantedName) wantedName = to;
  for (const view of views.values()) {
    if (!view.members.has(from)) continue;
    const away = view.members.get(from);
    view.members.delete(from);
    view.members.set(to, away);
    system(view, `${from} is now known as ${to}`, "system", ts);
    if (view === shown) showPeople();
  }
}

function history(event: Extract<ServerEvent, { type: "history" }>): void {
  const view = views.get(event.room) ?? shown;
  if (!view) return;
  view.more = event.more;
  view.asking = false;
  const keepScroll = ui.lines.scrollHeight - ui.lines.scrollTop;
  const block = document.createDocumentFragment();
  const holder = view.lines;
  const older = holder.querySelector(".older");
  older?.remove();
  const first = holder.firstChild;
  for (const e of event.events) block.append(keptLine(e));
  if (event.why === "join" && event.events.length > 0) block.append(divider("earlier lines above"));
  holder.insertBefore(block, first);
  if (view.more) holder.prepend(olderButton(view));
  if (view === shown) {
    if (event.why === "request") ui.lines.scrollTop = ui.lines.scrollHeight - keepScroll;
    else scrollDown();
  }
}

function keptLine(e: KeptEvent): HTMLElement {
  if (e.type === "topic") return makeLine(e.text === "" ? `${e.by} cleared the topic` : `${e.by} set the topic: ${e.text}`, e.ts, undefined, "system");
  return makeLine(e.text, e.ts, e.from, e.type === "action" ? "action" : "said", "", mentions(e.text), e.type === "public" && e.bot === true);
}

// ---- Views: rooms and private conversations ----

function viewFor(key: string, room: boolean, title = key): View {
  let view = views.get(key);
  if (view) return view;
  const lines = document.createElement("div");
  view = { key, title, room, lines, unread: 0, mentioned: false, members: new Map(), count: 0, topic: "", more: false, asking: false };
  if (!room) {
    view.members.set(title, undefined);
    view.members.set(me, undefined);
    view.count = 2;
  }
  views.set(key, view);
  showRooms();
  return view;
}

function removeView(view: View): void {
  views.delete(view.key);
  if (shown === view) shown = undefined;
  showRooms();
}

function show(view: View | undefined): void {
  if (!view) {
    ui.lines.replaceChildren();
    ui.viewName.textContent = "no room";
    ui.topic.textContent = "";
    ui.peopleList.replaceChildren();
    return;
  }
  shown = view;
  view.unread = 0;
  view.mentioned = false;
  ui.lines.replaceChildren(view.lines);
  ui.viewName.textContent = view.room ? view.key : `${view.title} (private)`;
  ui.input.placeholder = view.room ? `Message ${view.key} (/help for commands)` : `Private message to ${view.title}`;
  showTopic();
  showPeople();
  showRooms();
  ui.chat.classList.remove("show-rooms", "show-people");
  scrollDown();
  // The server's current room follows the room shown: plain lines go where the user is looking.
  if (view.room && currentRoom !== view.key && phase === "chat") send(`/join ${view.key}`);
}

function showTopic(): void {
  ui.topic.textContent = shown?.topic ?? "";
  ui.topic.title = shown?.topic ?? "";
}

function showRooms(): void {
  const items = [...views.values()]
    .sort((a, b) => Number(b.room) - Number(a.room) || a.title.localeCompare(b.title))
    .map((view) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("aria-current", String(view === shown));
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = view.room ? view.key : `@${view.title}`;
      button.append(name);
      if (view.unread > 0) {
        const badge = document.createElement("span");
        badge.className = view.mentioned ? "badge mention" : "badge";
        badge.textContent = String(view.unread);
        badge.setAttribute("aria-label", `${view.unread} unread`);
        button.append(badge);
      }
      button.onclick = () => show(view);
      li.append(button);
      return li;
    });
  ui.roomList.replaceChildren(...items);
  const unread = [...views.values()].reduce((n, v) => n + v.unread, 0);
  document.title = unread > 0 ? `(${unread}) bunchat` : "bunchat";
}

function showPeople(): void {
  const view = shown;
  if (!view) return;
  const names = [...view.members.keys()].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
  ui.peopleTitle.textContent = view.room ? `People (${view.count})` : "People";
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
  ui.peopleList.replaceChildren(...items);
}

function setMembers(view: View, users: readonly string[], away: Readonly<Record<string, string>> | undefined, count: number): void {
  view.members = new Map(users.map((n) => [n, away?.[n]]));
  view.count = count;
  if (view === shown) showPeople();
}

// ---- Lines ----

type Kind = "said" | "action" | "private" | "system" | "error";

function makeLine(text: string, ts: number | undefined, from: string | undefined, kind: Kind, prefix = "", mention = false, bot = false): HTMLElement {
  const row = document.createElement("div");
  row.className = `line ${kind}${mention ? " mention" : ""}`;
  const time = document.createElement("time");
  const when = new Date(ts ?? Date.now());
  time.dateTime = when.toISOString();
  time.textContent = when.toDateString() === new Date().toDateString()
    ? when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : when.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  time.title = when.toLocaleString();
  const body = document.createElement("span");
  body.className = "body";
  if (prefix) body.append(prefix);
  if (from !== undefined) {
    const who = document.createElement("span");
    who.className = "from";
    who.textContent = kind === "action" ? `* ${from}` : from;
    body.append(who);
    if (bot) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "bot";
      body.append(tag);
    }
    body.append(kind === "action" ? " " : ": ");
  }
  body.append(text);
  row.append(time, body);
  return row;
}

function line(view: View, text: string, ts: number | undefined, from: string | undefined, kind: Kind, prefix = "", mention = false, bot = false): void {
  const atBottom = view === shown && ui.lines.scrollHeight - ui.lines.scrollTop - ui.lines.clientHeight < 40;
  view.lines.append(makeLine(text, ts, from, kind, prefix, mention, bot));
  while (view.lines.childElementCount > MAX_LINES) view.lines.firstElementChild?.remove();
  if (atBottom) scrollDown();
}

function system(view: View | undefined, text: string, kind: Kind = "system", ts?: number): void {
  const target = view ?? shown;
  if (!target) return loginError(text);
  line(target, text, ts, undefined, kind);
}

function divider(text: string): HTMLElement {
  const div = document.createElement("div");
  div.className = "divider";
  div.textContent = text;
  return div;
}

function olderButton(view: View): HTMLElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "older";
  button.textContent = "Earlier lines";
  button.onclick = () => askOlder(view);
  return button;
}

/** Earlier lines of the room shown, from the server's history (the room must be the current one). */
function askOlder(view: View): void {
  if (!view.room || !view.more || view.asking || view !== shown || currentRoom !== view.key) return;
  view.asking = true;
  send("/history 50");
}

function scrollDown(): void {
  ui.lines.scrollTop = ui.lines.scrollHeight;
}

/** A line arrived in `view`: counted as unread unless it is shown, and notified when it mentions the user. */
function arrived(view: View, mention: boolean, title: string, text: string): void {
  if (view !== shown || document.hidden) {
    if (view !== shown) {
      view.unread++;
      view.mentioned ||= mention;
      showRooms();
    }
    if (mention && document.hidden && "Notification" in window && Notification.permission === "granted") {
      new Notification(title, { body: text, tag: view.key });
    }
  }
}

function mentions(text: string): boolean {
  if (me === "") return false;
  const escaped = me.replace(/[-_]/g, "\\$&");
  return new RegExp(`(^|[^A-Za-z0-9_-])@?${escaped}($|[^A-Za-z0-9_-])`, "i").test(text);
}

// ---- Signing in ----

function ask(step: "password" | "name" | "login", label: string, note: string, autocomplete = "username"): void {
  phase = step;
  ui.chat.hidden = true;
  ui.login.hidden = false;
  ui.loginLabel.textContent = label;
  ui.loginNote.textContent = note;
  ui.loginInput.value = step === "name" ? wantedName : "";
  ui.loginInput.type = step === "name" ? "text" : "password";
  ui.loginInput.required = step !== "login";
  ui.loginInput.autocomplete = autocomplete as AutoFill;
  ui.loginButton.textContent = step === "name" ? "Join" : "Continue";
  ui.loginInput.focus();
}

function loginError(text: string): void {
  lastError = text;
  ui.loginError.textContent = text;
}

/** Clears the sign-in error once the user answers again. */
function clearLoginError(): void {
  lastError = "";
  ui.loginError.textContent = "";
}

ui.loginForm.onsubmit = (e) => {
  e.preventDefault();
  const answer = ui.loginInput.value;
  clearLoginError();
  if (phase === "password") serverPassword = answer;
  if (phase === "name") wantedName = answer.trim();
  if (phase === "login") secret = answer === "" ? undefined : answer;
  send(phase === "name" ? answer.trim() : answer);
  ui.loginInput.value = "";
};

// ---- Typing ----

ui.sendForm.onsubmit = (e) => {
  e.preventDefault();
  const text = ui.input.value;
  if (text.trim() === "" || phase !== "chat") return;
  if (recall[recall.length - 1] !== text) recall.push(text);
  if (recall.length > RECALL_MAX) recall.shift();
  recallAt = -1;
  ui.input.value = "";
  const view = shown;
  if (view && !view.room && !text.startsWith("/")) return send(`/pm ${view.title} ${text}`);
  if (view?.room && currentRoom !== view.key) send(`/join ${view.key}`);
  if (/^\/quit\b|^\/exit\b|^quit$/i.test(text.trim())) leaving = true;
  send(text);
  // The server never sends a sender its own line: it is shown here ("//x" is the line "/x").
  if (view?.room && !text.startsWith("/")) line(view, text.trim(), Date.now(), me, "said");
  else if (view?.room && text.startsWith("//")) line(view, text.trim().slice(1), Date.now(), me, "said");
  else if (view?.room && /^\/me\s/i.test(text)) line(view, text.replace(/^\/me\s+/i, ""), Date.now(), me, "action");
  scrollDown();
};

ui.input.onkeydown = (e) => {
  if (e.key === "ArrowUp" || e.key === "ArrowDown") {
    if (recall.length === 0) return;
    if (e.key === "ArrowUp" && ui.input.value !== "" && recallAt < 0) return; // editing: leave the caret alone
    e.preventDefault();
    if (recallAt < 0) recallAt = recall.length;
    recallAt = Math.max(0, Math.min(recall.length, recallAt + (e.key === "ArrowUp" ? -1 : 1)));
    ui.input.value = recall[recallAt] ?? "";
    if (recallAt === recall.length) recallAt = -1;
    return;
  }
  if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey) {
    if (complete()) e.preventDefault();
    return;
  }
  completion = undefined;
};

/** Tab: the word before the caret completed to a name here (or a command), again to cycle. */
function complete(): boolean {
  const value = ui.input.value;
  const caret = ui.input.selectionStart ?? value.length;
  if (!completion) {
    const start = value.slice(0, caret).search(/\S*$/);
    const stem = value.slice(start, caret);
    if (stem === "") return false;
    const lower = stem.toLowerCase().replace(/^@/, "");
    const candidates = stem.startsWith("/") && start === 0
      ? COMMANDS.flatMap((c) => [c.name, ...c.aliases]).map((c) => `/${c}`).filter((c) => c.startsWith(stem.toLowerCase()))
      : [...new Set([...(shown?.members.keys() ?? []), ...[...views.values()].filter((v) => !v.room).map((v) => v.title)])]
          .filter((n) => n !== me && n.toLowerCase().startsWith(lower))
          .sort((a, b) => a.localeCompare(b));
    if (candidates.length === 0) return false;
    completion = { stem, start, matches: candidates, at: -1 };
  }
  completion.at = (completion.at + 1) % completion.matches.length;
  const pick = completion.matches[completion.at]!;
  const suffix = completion.start === 0 && !pick.startsWith("/") ? ": " : " ";
  const rest = value.slice(caret).replace(/^(: | )/, "");
  const next = value.slice(0, completion.start) + pick + suffix;
  ui.input.value = next + rest;
  ui.input.setSelectionRange(next.length, next.length);
  return true;
}

ui.lines.onscroll = () => {
  if (ui.lines.scrollTop < 30 && shown) askOlder(shown);
};

$("rooms-toggle").onclick = () => ui.chat.classList.toggle("show-rooms");
$("people-toggle").onclick = () => ui.chat.classList.toggle("show-people");
ui.notify.onclick = async () => {
  if (!("Notification" in window)) return system(shown, "This browser has no notifications.");
  const answer = await Notification.requestPermission();
  system(shown, answer === "granted" ? "You will be notified when someone mentions you while this tab is hidden." : "Notifications are off (the browser's setting).");
};
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && shown) show(shown);
});

function setStatus(text: string, bad = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle("bad", bad);
}

connect();
