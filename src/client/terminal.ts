// The client's screen and keyboard: readline with a prompt that survives lines printed above it,
// a password typed without echo and kept out of the history, and a line retyped as others see it.

import * as readline from "node:readline";

/** What readline keeps without typing it: the pieces the terminal needs are reached through this. */
interface ReadlineInside {
  _writeToOutput?: (text: string) => void;
  history?: string[];
  line: string;
  cursor: number;
  getCursorPos?: () => { rows: number };
  prevRows?: number;
}

export class Terminal {
  readonly rl: readline.Interface;
  /** While a password is typed nothing is echoed. */
  private muted = false;

  /** `complete`: Tab on an interactive terminal. */
  constructor(
    readonly interactive: boolean,
    complete: (line: string) => [string[], string],
  ) {
    this.rl = readline.createInterface({
      input: process.stdin,
      output: interactive ? process.stdout : undefined,
      terminal: interactive,
      historySize: 500,
      ...(interactive ? { completer: complete } : {}),
    });
    // Hide the password as it is typed: readline echoes through this method.
    const inside = this.inside();
    const echo = inside._writeToOutput?.bind(this.rl);
    if (echo) inside._writeToOutput = (text) => echo(this.muted ? text.replace(/[^\r\n]/g, "") : text);
  }

  private inside(): ReadlineInside {
    return this.rl as unknown as ReadlineInside;
  }

  /**
   * Bracketed paste on or off: the terminal marks what is pasted (ESC [200~ … ESC [201~), so that a
   * paste of several lines is one message, not a line sent per line.
   */
  bracketedPaste(on: boolean): void {
    process.stdout.write(on ? "\u001b[?2004h" : "\u001b[?2004l");
  }

  /** A new prompt, drawn at once; the cursor stays where it was on anything already typed. */
  ask(prompt: string): void {
    this.rl.setPrompt(prompt);
    this.rl.prompt(true);
  }

  /** A prompt whose answer is not echoed (a password). */
  askSecret(prompt: string): void {
    this.ask(prompt);
    this.muted = true;
  }

  /** The answer to `askSecret` is in: echo again, and keep it out of the history (Up). */
  secretEntered(line: string): void {
    this.muted = false;
    this.forget(line);
  }

  /** Takes `line` out of readline's history. */
  forget(line: string): void {
    const history = this.inside().history;
    if (history?.[0] === line) history.shift();
  }

  /** Ctrl-C on a half-typed line: the line goes, the prompt stays. */
  clearTyped(): void {
    const inside = this.inside();
    inside.line = "";
    inside.cursor = 0;
    this.rl.prompt(true);
  }

  /** Replaces the line just entered (still on the screen, after the prompt) with `shown`. */
  retype(shown: string, typed: string): void {
    const columns = process.stdout.columns || 80;
    const rows = Math.max(1, Math.ceil((this.rl.getPrompt().length + [...typed].length) / columns));
    readline.moveCursor(process.stdout, 0, -rows);
    readline.cursorTo(process.stdout, 0);
    readline.clearScreenDown(process.stdout);
    process.stdout.write(`${shown}\n`);
  }

  /** Prints a line above the prompt, leaving what is being typed intact; `redraw` puts the prompt back under it. */
  show(text: string, redraw: boolean): void {
    if (!this.interactive) {
      process.stdout.write(`${text}\n`);
      return;
    }
    // Clear the prompt and the typed line from their first row down: a long line wraps over
    // several rows, and the cursor may be on any of them.
    const inside = this.inside();
    const rows = inside.getCursorPos?.().rows ?? 0;
    if (rows > 0) readline.moveCursor(process.stdout, 0, -rows);
    readline.cursorTo(process.stdout, 0);
    readline.clearScreenDown(process.stdout);
    process.stdout.write(`${text}\n`);
    // readline redraws by first moving up over the rows it drew last time; we cleared those
    // already, and moving up now would erase the line just printed.
    inside.prevRows = 0;
    if (redraw) this.rl.prompt(true);
  }
}
