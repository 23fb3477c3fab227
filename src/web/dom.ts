/// <reference lib="dom" />
// The page's elements, found once, and the DOM a chat line is made of. User text only ever
// reaches the page as text nodes (textContent, append of a string), never as markup.

/** The page's elements, by what they are for (index.html has them). */
export function findUi(doc: Document) {
  const $ = <T extends HTMLElement>(id: string): T => {
    const element = doc.getElementById(id);
    if (!element) throw new Error(`the page has no #${id}`);
    return element as T;
  };
  return {
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
    roomsToggle: $("rooms-toggle"),
    peopleToggle: $("people-toggle"),
  };
}

export type Ui = ReturnType<typeof findUi>;

/** How a line reads: said, an action, private, the server's, an error. */
export type Kind = "said" | "action" | "private" | "system" | "error";

export function makeLine(text: string, ts: number | undefined, from: string | undefined, kind: Kind, prefix = "", mention = false, bot = false): HTMLElement {
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

export function divider(text: string): HTMLElement {
  const div = document.createElement("div");
  div.className = "divider";
  div.textContent = text;
  return div;
}
