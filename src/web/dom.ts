/// <reference lib="dom" />
// The page's elements, found once, and the DOM a chat line is made of. User text only ever
// reaches the page as text nodes (textContent, append of a string), never as markup; its links
// and its formatting (render/markdown.ts) as elements made here, one by one.
import { linksIn } from "../render/links.ts";
import { type Inline, mayFormat, parseBlocks } from "../render/markdown.ts";
import type { FileRef, MessageId, Quote, Reaction } from "../protocol/events.ts";
import { filePath, sizeWords } from "../protocol/messages.ts";

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
    composeNote: $("compose-note"),
    typing: $("typing"),
    composeText: $("compose-text"),
    composeCancel: $<HTMLButtonElement>("compose-cancel"),
    thread: $<HTMLDialogElement>("thread"),
    threadLines: $("thread-lines"),
    threadClose: $<HTMLButtonElement>("thread-close"),
    peopleList: $("people-list"),
    sendForm: $<HTMLFormElement>("send-form"),
    input: $<HTMLTextAreaElement>("input"),
    attach: $<HTMLButtonElement>("attach"),
    fileInput: $<HTMLInputElement>("file-input"),
    roomsToggle: $("rooms-toggle"),
    peopleToggle: $("people-toggle"),
  };
}

export type Ui = ReturnType<typeof findUi>;

/** How a line reads: said, an action, private, the server's, an error. */
export type Kind = "said" | "action" | "private" | "system" | "error";

/** What a room line that has an id carries: what it answers, whether edited, its reactions, and whether it is ours. */
export interface LineMeta {
  id: MessageId;
  reply?: Quote;
  edited?: number;
  reactions?: readonly Reaction[];
  /** Who we are (our reactions stand out), and whether the line is ours (edit, delete). */
  me: string;
  mine: boolean;
  /** "own": a private line, whose only actions are edit and delete (one's own). */
  only?: "own";
  /** The file it shares. */
  file?: FileRef;
}

/** The key this page's file links carry (the server's file-key event), and so where a file is. */
let fileKey = "";
export function setFileKey(key: string): void {
  fileKey = key;
}
export function fileUrl(file: FileRef): string {
  return `${filePath(file)}?k=${encodeURIComponent(fileKey)}`;
}

/** A shared file: an image as a thumbnail that opens full size, anything else a link that downloads it; its name and size. */
function fileNode(file: FileRef): HTMLElement {
  const box = document.createElement("span");
  box.className = "file";
  const a = document.createElement("a");
  a.href = fileUrl(file);
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  if (file.type.startsWith("image/")) {
    const img = document.createElement("img");
    img.className = "thumb";
    img.src = a.href;
    img.alt = file.name;
    img.loading = "lazy";
    a.append(img);
    box.append(a);
  } else {
    a.download = file.name;
    a.textContent = `📎 ${file.name}`;
    box.append(a);
  }
  const size = document.createElement("span");
  size.className = "size";
  size.textContent = file.type.startsWith("image/") ? `${file.name} · ${sizeWords(file.size)}` : ` ${sizeWords(file.size)}`;
  box.append(size);
  return box;
}

/** The emoji the page offers to react with (any other can be typed: /react <line> <emoji>). */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "👀", "🚀"] as const;

export function makeLine(text: string, ts: number | undefined, from: string | undefined, kind: Kind, prefix = "", mention = false, bot = false, meta?: LineMeta): HTMLElement {
  const row = document.createElement("div");
  row.className = `line ${kind}${mention ? " mention" : ""}`;
  if (ts !== undefined && from !== undefined) row.dataset.ts = String(ts); // someone's line: where "new since" goes
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
  if (!meta) {
    body.append(...linked(text));
    row.append(time, body);
    return row;
  }
  row.dataset.id = String(meta.id);
  if (meta.mine) row.classList.add("mine");
  if (meta.reply) body.prepend(quoteButton(meta.reply));
  const said = document.createElement("span");
  said.className = "text";
  // A file's line whose text is its name: the file says it.
  if (!meta.file || text !== meta.file.name) said.append(...formatted(text));
  body.append(said);
  if (meta.file) body.append(fileNode(meta.file));
  if (meta.edited !== undefined) markEdited(row);
  const reactions = document.createElement("span");
  reactions.className = "reactions";
  body.append(reactions);
  row.append(time, body, actions(meta.mine, meta.only === "own"));
  setReactions(row, meta.reactions ?? [], meta.me);
  return row;
}

/**
 * A line's text with its links (render/links.ts: http, https and mailto only) as <a> elements made
 * node by node: the text is never HTML. Each opens in a new tab without telling the site where it
 * came from; its title says where it really goes (a host in another script shown in punycode).
 */
export function linked(text: string): (string | HTMLAnchorElement)[] {
  const links = linksIn(text);
  if (links.length === 0) return [text];
  const out: (string | HTMLAnchorElement)[] = [];
  let at = 0;
  for (const link of links) {
    if (link.start > at) out.push(text.slice(at, link.start));
    out.push(anchor(link.href, [link.text]));
    at = link.end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/**
 * What someone said, formatted (render/markdown.ts): code blocks as <pre> with their language
 * named, quotes as <blockquote>, inline code, bold, italic, struck text and links as their
 * elements; the rest as text, its bare links made links. Element by element: never HTML.
 */
export function formatted(text: string): (string | Node)[] {
  if (!mayFormat(text)) return linked(text);
  const out: (string | Node)[] = [];
  for (const block of parseBlocks(text)) {
    if (block.kind === "code") {
      const pre = document.createElement("pre");
      pre.className = "code";
      if (block.lang) {
        const lang = document.createElement("span");
        lang.className = "lang";
        lang.textContent = block.lang;
        pre.append(lang);
      }
      const code = document.createElement("code");
      code.textContent = block.text;
      pre.append(code);
      out.push(pre);
    } else if (block.kind === "quote") {
      const quote = document.createElement("blockquote");
      quote.append(...inlineNodes(block.inline, true));
      out.push(quote);
    } else {
      // Lines between blocks: their own line (the text keeps its line breaks).
      if (out.length > 0 && typeof out[out.length - 1] === "string") out.push("\n");
      out.push(...inlineNodes(block.inline, true));
    }
  }
  return out;
}

const MARK_TAGS = { bold: "strong", italic: "em", strike: "s" } as const;

/** Inline formatting as elements; `links`: bare links in its text are made links (not inside a link). */
function inlineNodes(nodes: readonly Inline[], links: boolean): (string | Node)[] {
  const out: (string | Node)[] = [];
  for (const node of nodes) {
    if (node.kind === "text") out.push(...(links ? linked(node.text) : [node.text]));
    else if (node.kind === "code") {
      const code = document.createElement("code");
      code.textContent = node.text;
      out.push(code);
    } else if (node.kind === "link") out.push(anchor(node.href, inlineNodes(node.children, false)));
    else {
      const mark = document.createElement(MARK_TAGS[node.kind]);
      mark.append(...inlineNodes(node.children, links));
      out.push(mark);
    }
  }
  return out;
}

/** A link: opens in a new tab without telling the site where it came from; its title says where it really goes. */
function anchor(href: string, content: (string | Node)[]): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = href;
  a.append(...content);
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.title = href;
  return a;
}

/** A reply's quote of the line it answers: a button that shows that line (or says it is gone). */
function quoteButton(reply: Quote): HTMLElement {
  const quote = document.createElement("button");
  quote.type = "button";
  quote.className = "quote";
  quote.dataset.action = "goto";
  quote.dataset.target = String(reply.id);
  quote.textContent = reply.from === undefined ? "↪ a line no longer kept" : `↪ ${reply.from}: ${reply.text ?? ""}`;
  quote.title = "Show the line this answers";
  return quote;
}

/** The buttons a line shows on hover or focus: answer, react, its thread; edit and delete for one's own. */
function actions(mine: boolean, ownOnly = false): HTMLElement {
  const bar = document.createElement("span");
  bar.className = "actions";
  // Their symbols are drawn by the style sheet: the line's text (copied, searched) stays the line's.
  const add = (action: string, title: string) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.action = action;
    button.title = title;
    button.setAttribute("aria-label", title);
    bar.append(button);
  };
  if (!ownOnly) {
    add("reply", "Answer this line");
    add("react", "React to this line");
    add("thread", "This line and its answers");
  }
  if (mine) {
    add("edit", "Edit your line");
    add("delete", "Delete your line");
  }
  return bar;
}

/** A line's text is now `text`, marked edited. */
export function setText(row: HTMLElement, text: string): void {
  const said = row.querySelector(".text");
  if (said) said.replaceChildren(...formatted(text));
  markEdited(row);
}

function markEdited(row: HTMLElement): void {
  if (row.querySelector(".edited")) return;
  const mark = document.createElement("span");
  mark.className = "edited";
  mark.textContent = " (edited)";
  row.querySelector(".text")?.after(mark);
}

/** A line that was deleted: its text goes, a marker stays where it was. */
export function markDeleted(row: HTMLElement, words: string): void {
  row.classList.add("deleted");
  const body = row.querySelector(".body");
  if (body) body.textContent = words;
  row.querySelector(".actions")?.remove();
  delete row.dataset.id;
}

/** A line's reactions: a chip per emoji with its count, who on hover; ours stand out. Clicking one toggles ours. */
export function setReactions(row: HTMLElement, reactions: readonly Reaction[], me: string): void {
  const holder = row.querySelector(".reactions");
  if (!holder) return;
  row.dataset.reactions = JSON.stringify(reactions);
  holder.replaceChildren(
    ...reactions.map((r) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = r.names.includes(me) ? "reaction mine" : "reaction";
      chip.dataset.action = "toggle";
      chip.dataset.emoji = r.emoji;
      chip.textContent = `${r.emoji} ${r.names.length}`;
      chip.title = r.names.join(", ");
      return chip;
    }),
  );
}

/** The reactions a line shows now (as setReactions left them). */
export function reactionsOf(row: HTMLElement): Reaction[] {
  try {
    const value: unknown = JSON.parse(row.dataset.reactions ?? "[]");
    return Array.isArray(value) ? (value as Reaction[]) : [];
  } catch {
    return [];
  }
}

export function divider(text: string): HTMLElement {
  const div = document.createElement("div");
  div.className = "divider";
  div.textContent = text;
  return div;
}
