/// <reference lib="dom" />
// The browser client: the chat over a WebSocket (/ws), the same JSON events as the bundled client.
// Bundled with the protocol's own decoder, command table and sentences, and the bundled client's
// Tab completion and reconnection backoff (scripts/page.ts makes app.bundle.js, which the server
// serves), so the page says and does what the server and the terminal client do. This entry point
// holds the connection, signing in and what each event does; the views are views.ts, the DOM of a
// line dom.ts. User text only ever reaches the page as text nodes (textContent), never as markup.

import { backoffMs } from "../client/backoff.ts";
import { complete, Completer } from "../client/roster.ts";
import { decodeEvent } from "../protocol/decode.ts";
import { leftRoomOnly, placeOf, type PrivateLine, type ServerEvent } from "../protocol/events.ts";
import { TYPING_EVERY_MS } from "../core/typing.ts";
import { firstLine, ONLY_WORDS, toText } from "../render/text.ts";
import { findUi, QUICK_REACTIONS, setFileKey } from "./dom.ts";
import { sizeWords } from "../protocol/messages.ts";
import { Views } from "./views.ts";

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

const ui = findUi(document);

const RECALL_MAX = 100;

let socket: WebSocket | undefined;
let phase: "connecting" | "password" | "name" | "login" | "chat" | "closed" = "connecting";
/** What the user answered, kept in this tab's memory only, to sign in again after a reconnect. */
let wantedName = "";
let secret: string | undefined;
let serverPassword: string | undefined;
let leaving = false;
/** Reconnections tried since the last welcome: the wait before the next (the bundled client's backoff). */
let attempts = 0;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
/** The server's last word while signing in (shown again if it then closes the connection). */
let lastError = "";
/** Rooms to join again after a reconnect, and the one that was current. */
let rejoin: string[] = [];
let wasCurrent: string | undefined;
const page = new Views(ui, {
  send,
  get chatting() {
    return phase === "chat";
  },
  loginError,
});
const recall: string[] = [];
let recallAt = -1;
/** Tab completion as the bundled client does it (its rules, its cycling): names here, rooms, commands. */
const completer = new Completer((line) =>
  complete(
    line,
    [...new Set([...(page.shown?.members.keys() ?? []), ...[...page.views.values()].filter((v) => !v.room).map((v) => v.title)])].filter((n) => n !== page.me),
    [...page.views.values()].filter((v) => v.room).map((v) => v.key),
  ),
);

// ---- The connection ----

function connect(): void {
  clearTimeout(retryTimer);
  phase = "connecting";
  setStatus("connecting…");
  const url = new URL("/ws?echo=1", location.href); // our own lines come back, with their ids
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  socket = ws;
  resumed = false;
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
      rejoin = [...page.views.values()].filter((v) => v.room).map((v) => v.key);
      wasCurrent = page.currentRoom;
    }
    const wait = backoffMs(attempts++, Math.random());
    const why = close.reason && close.reason !== "bye" ? ` (${close.reason})` : "";
    const again = `trying again in ${Math.ceil(wait / 1000)} s`;
    setStatus(`disconnected${why}; ${again}`, true);
    if (phase !== "chat") loginError(`${lastError || `Can't reach the server${why}.`} Connecting again in ${Math.ceil(wait / 1000)} s.`);
    retryTimer = setTimeout(connect, wait);
  };
}

/** Where the page keeps its session (localStorage: this origin only; never a cookie another site's page could make the browser send). */
const SESSION_KEY = "bunchat-session";
/** This connection tried the kept session already. */
let resumed = false;

function storedSession(): string | undefined {
  try {
    return localStorage.getItem(SESSION_KEY) ?? undefined;
  } catch {
    return undefined; // storage off (a private window that refuses it): the password is asked
  }
}

function keepSession(token: string): void {
  try {
    localStorage.setItem(SESSION_KEY, token);
  } catch {}
}

function forgetSession(): void {
  try {
    localStorage.removeItem(SESSION_KEY);
  } catch {}
}

function send(line: string): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(line);
}

/** A line typed in the input: one of several lines (Shift+Enter) goes as JSON, read as typed with its newlines. */
function sendTyped(line: string): void {
  send(line.includes("\n") ? JSON.stringify({ type: "line", text: line }) : line);
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
    case "ask-name": {
      // A session kept from an earlier load (or connection) signs in without the password, once a connection.
      const session = storedSession();
      if (session !== undefined && !resumed && phase !== "name") {
        resumed = true;
        phase = "name";
        return send(`/resume ${session}`);
      }
      if (phase === "chat" || (phase === "connecting" && wantedName !== "")) {
        phase = "name";
        return send(wantedName);
      }
      return ask("name", "Your name", "");
    }
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
      if (event.code === "session-expired") {
        forgetSession();
        // A reconnect whose session was signed out meanwhile: the name and password it knows go next.
        if (wantedName !== "") phase = "connecting";
      }
      if (phase !== "chat") {
        if (phase === "login") secret = undefined;
        if (phase === "password") serverPassword = undefined;
        if (phase === "name" && ui.login.hidden) wantedName = ""; // a reconnect found the name taken: ask
        return loginError(event.message);
      }
      return page.system(page.shown ?? undefined, event.message, "error");
    case "public":
    case "action":
      return said(event);
    case "typing":
      return page.typing(event.from, event.room, event.state === "active");
    case "private":
      page.typing(event.from, undefined, false); // their line came: no longer typing
      return privateLine(event.from, event);
    case "private-sent":
      return privateLine(event.to, event);
    // Coming into the chat and leaving it are the chat's events (told once, in one room); joining
    // or leaving one room is that room's.
    case "join":
      return page.presence(event.room, [event.name], [], words(event), event.ts);
    case "joins":
      return page.presence(event.room, event.names, [], words(event), event.ts, event.count - event.names.length);
    case "leave":
      return page.presence(event.room, [], [event.name], words(event), event.ts, 0, !leftRoomOnly(event.reason));
    case "leaves":
      return page.presence(event.room, [], event.users.map((u) => u.name), words(event), event.ts, -(event.count - event.users.length), !event.users.every((u) => leftRoomOnly(u.reason)));
    case "rename":
      return renamed(event.from, event.to, event.ts);
    case "room":
      return enteredRoom(event);
    case "parted": {
      const view = page.views.get(event.room);
      if (view) page.removeView(view);
      page.currentRoom = event.current;
      const next = event.current ? page.views.get(event.current) : undefined;
      page.show(next ?? [...page.views.values()][0]);
      return page.system(page.shown, words(event), event.kicked ? "error" : "system"); // a kick's why follows, in a notice
    }
    case "topic": {
      const view = page.views.get(event.room);
      if (!view) return;
      view.topic = event.text;
      if (view === page.shown) page.showTopic();
      return page.system(view, words({ ...event, room: "" }), "system", event.ts); // in the room's own view: no [#room] tag
    }
    case "settings": {
      const view = page.views.get(event.room);
      return view ? page.setSettings(view, event.settings) : undefined;
    }
    case "edit":
    case "delete":
    case "react":
      return page.changed(event, words({ ...event, room: "" }));
    case "tagmsg":
      return;
    case "markers":
      return page.setMarkers(event.markers, event.unread);
    case "session":
      return keepSession(event.token);
    case "sessions":
      return page.system(page.shown ?? undefined, words(event));
    case "marker":
      return page.readElsewhere(event.target, event.at);
    case "reactions":
    case "topic-is":
    case "rooms":
    case "users":
    case "whois":
    case "away":
    case "away-notice":
    case "help":
    case "pong":
    case "invite-sent":
      return page.system(event.type === "away-notice" ? (page.views.get(`@${event.name.toLowerCase()}`) ?? page.shown) : page.shown, words(event));
    case "history":
      return page.history(event);
    case "search": {
      // The server's heading ("2 lines have …"), then each line as the page shows lines.
      page.system(page.shown, firstLine(words(event)));
      for (const e of event.events) {
        const who = e.type === "topic" ? undefined : e.type === "private-sent" ? page.me : e.from;
        page.line(page.shown!, e.type === "topic" ? `${e.by} set the topic: ${e.text}` : e.text, e.ts, who, "system", `${placeOf(e)} `);
      }
      return;
    }
    case "notice":
      return page.system(page.shown, event.text, "system", event.ts);
    case "invite":
      page.system(page.shown, words(event), "system", event.ts);
      if (page.shown) page.arrived(page.shown, true, `${event.from} invites you to ${event.room}`, words(event)); // a desktop notice when hidden
      return;
    case "ping":
      return send("");
    case "bye":
      leaving = true;
      return;
    case "shutdown":
      page.system(page.shown, words(event), "error");
      return page.system(page.shown, "This page reconnects by itself when the server is back.");
    case "file-key":
      ui.attach.hidden = false; // a server that takes files: the button shows
      return setFileKey(event.key);
    case "upload":
      return void sendFile(event);
    default:
      return event satisfies never;
  }
}

/** Someone was renamed: the views follow; our own new name is the one to sign in with again. */
function renamed(from: string, to: string, ts: number): void {
  if (from === wantedName) wantedName = to;
  page.renamed(from, to, ts);
}

function welcome(event: Extract<ServerEvent, { type: "welcome" }>): void {
  phase = "chat";
  page.me = event.name;
  wantedName = event.name;
  attempts = 0;
  setStatus("");
  clearLoginError();
  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.input.disabled = false;
  // A reconnect: the views stay; each room is joined again (the server answers with its members).
  for (const view of page.views.values()) if (view.room && !event.rooms.includes(view.key)) view.members.clear();
  const room = page.viewFor(event.room, true);
  room.lines.replaceChildren(); // its history follows, as on joining
  page.setMembers(room, event.users, event.away, event.count ?? event.users.length);
  room.topic = event.topic?.text ?? "";
  page.currentRoom = event.room;
  for (const name of event.rooms) page.viewFor(name, true);
  if (!page.shown || !page.views.has(page.shown.key)) page.show(room);
  else page.show(page.shown);
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
  const view = page.viewFor(event.room, true);
  page.setMembers(view, event.users, event.away, event.count);
  view.topic = event.topic?.text ?? "";
  page.setSettings(view, event.settings);
  if (event.joined) view.lines.replaceChildren(); // its history follows
  if (event.elsewhere) return page.showRooms(); // in it from another device too: listed; this page stays where it is
  page.currentRoom = event.room;
  page.show(view);
  if (event.joined) page.system(view, firstLine(words(event))); // the topic and who is in it show in their places
}

function said(event: Extract<ServerEvent, { type: "public" | "action" }>): void {
  page.typing(event.from, event.room, false); // their line came: no longer typing
  const view = page.viewFor(event.room, true);
  const mine = event.from === page.me;
  const mention = !mine && page.mentions(event.text);
  const kind = event.type === "action" ? "action" : "said";
  const only = event.type === "public" && event.only ? `(to ${ONLY_WORDS[event.only]}) ` : "";
  page.line(view, only + event.text, event.ts, event.from, kind, "", mention, event.type === "public" && event.bot === true, page.meta(event));
  if (!mine) page.arrived(view, mention, `${event.from} in ${event.room}`, event.text);
}

function privateLine(peer: string, event: PrivateLine): void {
  const view = page.viewFor(`@${peer.toLowerCase()}`, false, peer);
  const from = event.type === "private" ? event.from : page.me;
  page.line(view, event.text, event.ts, from, "private", "", false, false, page.privateMeta(event));
  if (event.type === "private") page.arrived(view, true, `${from} (private)`, event.text);
}

// ---- Views: rooms and private conversations ----

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

// Typing: told as the user types a line (not a command), at most every TYPING_EVERY_MS; "done"
// when the input is emptied without sending (a line sent ends it at the server).
let typingAt = 0;
let typingIn: string | undefined;
ui.input.oninput = () => {
  const view = page.shown;
  if (phase !== "chat" || !view) return;
  const target = view.room ? view.key : view.title;
  const text = ui.input.value;
  const now = Date.now();
  if (text === "" || text.startsWith("/")) {
    if (typingIn !== undefined) send(`/typing done ${typingIn}`);
    typingIn = undefined;
    return;
  }
  if (typingIn === target && now - typingAt < TYPING_EVERY_MS) return;
  typingAt = now;
  typingIn = target;
  send(`/typing active ${target}`);
};

ui.sendForm.onsubmit = (e) => {
  e.preventDefault();
  const text = ui.input.value;
  if (text.trim() === "" || phase !== "chat") return;
  typingIn = undefined; // the line ends it, at the server and for everyone who sees it
  if (recall[recall.length - 1] !== text) recall.push(text);
  if (recall.length > RECALL_MAX) recall.shift();
  recallAt = -1;
  ui.input.value = "";
  const view = page.shown;
  // Editing one's own private line: an /edit of it; else a line in a private view is a /pm.
  if (view && !view.room && compose?.kind === "edit" && !text.startsWith("/")) {
    const id = compose.id;
    setCompose(undefined);
    return sendTyped(`/edit ${id} ${text}`);
  }
  if (view && !view.room && !text.startsWith("/")) return sendTyped(`/pm ${view.title} ${text}`);
  if (view?.room && page.currentRoom !== view.key) send(`/join ${view.key}`);
  if (/^\/quit\b|^\/exit\b|^quit$/i.test(text.trim())) leaving = true;
  // Signing out: this page's session goes (the server's answer says which), and it leaves.
  if (/^\/logout(\s+all)?\s*$/i.test(text.trim())) {
    forgetSession();
    send(text);
    leaving = true;
    return send("/quit");
  }
  // Answering or editing a line: the text goes as /answer or /edit of it. Our own lines come back
  // from the server (/ws?echo=1), with their ids, and are shown then.
  const composing = compose;
  setCompose(undefined);
  if (composing && view?.room && !text.startsWith("/")) sendTyped(`/${composing.kind === "reply" ? "answer" : "edit"} ${composing.id} ${text}`);
  else sendTyped(text);
  fitInput();
  page.scrollDown();
};

// ---- Files: the 📎 button, a drop on the lines, a pasted image ----

/** Files waiting for their ticket (/upload's answer), in the order asked for: one ticket each. */
const toUpload: { file: File; room: string }[] = [];

/** Shares files in the room shown: a ticket for each from the server, then the file with it. */
function shareFiles(files: Iterable<File>): void {
  const view = page.shown;
  if (phase !== "chat" || !view) return;
  if (!view.room) return page.system(view, "Files are shared in rooms: switch to one to share it there.", "error");
  for (const file of files) {
    if (toUpload.length >= 20) return page.system(view, "At most 20 files at once.", "error");
    toUpload.push({ file, room: view.key });
    if (page.currentRoom !== view.key) send(`/join ${view.key}`);
    send(`/upload ${view.key}`);
  }
}

/** A ticket came: the next file waiting for that room goes with it. */
async function sendFile(ticket: Extract<ServerEvent, { type: "upload" }>): Promise<void> {
  const at = toUpload.findIndex((u) => u.room === ticket.room);
  if (at < 0) return; // asked for by hand (/upload typed): nothing waits for it
  const { file } = toUpload.splice(at, 1)[0]!;
  const view = page.shown;
  if (file.size > ticket.maxBytes) {
    if (view) page.system(view, `${file.name} is ${sizeWords(file.size)}; this server takes files of at most ${sizeWords(ticket.maxBytes)}.`, "error");
    return;
  }
  const form = new FormData();
  form.append("file", file, file.name || "pasted");
  if (view) page.system(view, `Sharing ${file.name || "a pasted image"} (${sizeWords(file.size)})…`);
  try {
    const res = await fetch(ticket.path, { method: "POST", headers: { authorization: `Bearer ${ticket.token}` }, body: form });
    if (res.ok) return;
    const why = await res.json().catch(() => undefined);
    if (view) page.system(view, `${file.name} was not shared: ${typeof why?.message === "string" ? why.message : `the server answered ${res.status}`}`, "error");
  } catch {
    if (view) page.system(view, `${file.name} was not shared: the server could not be reached.`, "error");
  }
}

ui.attach.onclick = () => ui.fileInput.click();
ui.fileInput.onchange = () => {
  if (ui.fileInput.files) shareFiles([...ui.fileInput.files]);
  ui.fileInput.value = "";
};
ui.lines.addEventListener("dragover", (e) => {
  if (!e.dataTransfer?.types.includes("Files")) return;
  e.preventDefault();
  ui.lines.classList.add("dropping");
});
ui.lines.addEventListener("dragleave", () => ui.lines.classList.remove("dropping"));
ui.lines.addEventListener("drop", (e) => {
  ui.lines.classList.remove("dropping");
  if (!e.dataTransfer?.files.length) return;
  e.preventDefault();
  shareFiles([...e.dataTransfer.files]);
});
ui.input.addEventListener("paste", (e) => {
  const files = [...(e.clipboardData?.files ?? [])];
  if (files.length === 0) return; // text: pasted as text
  e.preventDefault();
  shareFiles(files);
});

// ---- Answering, reacting to, editing and deleting lines ----

/** A line being answered or edited: what the next text sent does. */
let compose: { kind: "reply" | "edit"; id: string } | undefined;

function setCompose(next: { kind: "reply" | "edit"; id: string; words: string } | undefined): void {
  compose = next && { kind: next.kind, id: next.id };
  ui.composeNote.hidden = next === undefined;
  ui.composeText.textContent = next?.words ?? "";
}

ui.composeCancel.onclick = () => {
  if (compose?.kind === "edit") ui.input.value = "";
  setCompose(undefined);
  ui.input.focus();
};

/** The line a click was on, and what it asked for (the buttons a line shows). */
ui.lines.onclick = (e) => {
  const target = e.target instanceof HTMLElement ? e.target.closest<HTMLElement>("[data-action]") : null;
  const row = target?.closest<HTMLElement>(".line");
  const id = row?.dataset.id;
  const view = page.shown;
  if (!target || !row || id === undefined || !view) return; // a private line has only edit and delete (its own)
  const from = row.querySelector(".from")?.textContent?.replace(/^\* /, "") ?? "";
  const text = row.querySelector(".text")?.textContent ?? "";
  switch (target.dataset.action) {
    case "reply":
      setCompose({ kind: "reply", id, words: `Answering ${from}: ${text}` });
      return ui.input.focus();
    case "edit":
      setCompose({ kind: "edit", id, words: "Editing your line (Enter saves it)" });
      ui.input.value = text;
      return ui.input.focus();
    case "delete":
      if (confirm(`Delete your line "${text.slice(0, 60)}"? Everyone sees it go, and it is gone from history.`)) send(`/delete ${id}`);
      return;
    case "react":
      return pickReaction(row, id);
    case "toggle":
      return send(`/react ${id} ${target.dataset.emoji ?? ""}`);
    case "thread":
      return page.thread(view, target.dataset.target ?? id);
    case "goto": {
      const line = page.lineOf(view.key, target.dataset.target ?? "");
      if (!line) return page.thread(view, target.dataset.target ?? id);
      line.scrollIntoView({ block: "center" });
      line.classList.add("flash");
      setTimeout(() => line.classList.remove("flash"), 1200);
      return;
    }
  }
};

/** The quick reactions, over the line: one click puts it on (or takes it back). */
function pickReaction(row: HTMLElement, id: string): void {
  document.querySelector(".picker")?.remove();
  const picker = document.createElement("div");
  picker.className = "picker";
  picker.setAttribute("role", "menu");
  for (const emoji of QUICK_REACTIONS) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = emoji;
    button.setAttribute("aria-label", `React ${emoji}`);
    button.onclick = (e) => {
      e.stopPropagation();
      picker.remove();
      send(`/react ${id} ${emoji}`);
    };
    picker.append(button);
  }
  row.append(picker);
  picker.querySelector("button")?.focus();
  setTimeout(() => document.addEventListener("click", () => picker.remove(), { once: true }));
}

ui.threadClose.onclick = () => ui.thread.close();

/** The input grows with its lines (Shift+Enter), up to a few, then scrolls. */
function fitInput(): void {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 160)}px`;
}
ui.input.addEventListener("input", fitInput);

ui.input.onkeydown = (e) => {
  // Enter sends; Shift+Enter starts another line of the same message.
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    return ui.sendForm.requestSubmit();
  }
  if (e.key === "ArrowUp" || e.key === "ArrowDown") {
    if (recall.length === 0 || ui.input.value.includes("\n")) return; // a message of several lines: the caret moves in it
    if (e.key === "ArrowUp" && ui.input.value !== "" && recallAt < 0) return; // editing: leave the caret alone
    e.preventDefault();
    if (recallAt < 0) recallAt = recall.length;
    recallAt = Math.max(0, Math.min(recall.length, recallAt + (e.key === "ArrowUp" ? -1 : 1)));
    ui.input.value = recall[recallAt] ?? "";
    fitInput();
    if (recallAt === recall.length) recallAt = -1;
    return;
  }
  if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey && completeInput()) e.preventDefault();
};

/** Tab: the word before the caret completed (the bundled client's rules), again to cycle. */
function completeInput(): boolean {
  const value = ui.input.value;
  const caret = ui.input.selectionStart ?? value.length;
  if (value.slice(0, caret).trim() === "") return false; // Tab on nothing: the browser's (the next field)
  const [matches, word] = completer.next(value.slice(0, caret));
  const pick = matches[0];
  if (pick === undefined) return false;
  const next = value.slice(0, caret - word.length) + pick;
  ui.input.value = next + value.slice(caret);
  ui.input.setSelectionRange(next.length, next.length);
  return true;
}

ui.lines.onscroll = () => {
  if (ui.lines.scrollTop < 30 && page.shown) page.askOlder(page.shown);
};

ui.roomsToggle.onclick = () => ui.chat.classList.toggle("show-rooms");
ui.peopleToggle.onclick = () => ui.chat.classList.toggle("show-people");
ui.notify.onclick = async () => {
  if (!("Notification" in window)) return page.system(page.shown, "This browser has no notifications.");
  const answer = await Notification.requestPermission();
  page.system(page.shown, answer === "granted" ? "You will be notified when someone mentions you while this tab is hidden." : "Notifications are off (the browser's setting).");
};
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && page.shown) page.show(page.shown);
});

function setStatus(text: string, bad = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle("bad", bad);
}

connect();
