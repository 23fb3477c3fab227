// Drives a program in a real terminal: a detached tmux session, keys in, screen text out.

import { afterEachTest } from "./cleanup.ts";

export const hasTmux = Bun.which("tmux") !== null;

const sessions = new Set<string>();
afterEachTest(() => {
  for (const s of sessions) Bun.spawnSync(["tmux", "kill-session", "-t", s]);
  sessions.clear();
});

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", ...args], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

export class Terminal {
  private constructor(readonly session: string) {}

  /** Starts `argv` in an 80x24 terminal. Unless `color`, the environment asks for no colour, so the screen is plain text. */
  static start(argv: string[], color = false): Terminal {
    const session = `bunchat-test-${process.pid}-${sessions.size}-${Date.now()}`;
    const command = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const env = color ? "env -u NO_COLOR TERM=xterm-256color" : "NO_COLOR=1";
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", `${env} ${command}; sleep 30`);
    sessions.add(session);
    return new Terminal(session);
  }

  /** Types text (literally); `enter` presses Enter after it. */
  type(text: string, enter = false): void {
    if (text) tmux("send-keys", "-t", this.session, "-l", text);
    if (enter) tmux("send-keys", "-t", this.session, "Enter");
  }

  /**
   * Pastes `text` as a terminal does: bracketed (ESC [200~ … ESC [201~) if the program asked for it
   * (ESC [?2004h), else as typed; its newlines as the Enter key sends them.
   */
  paste(text: string): void {
    const buffer = `${this.session}-paste`;
    tmux("set-buffer", "-b", buffer, text);
    tmux("paste-buffer", "-p", "-d", "-b", buffer, "-t", this.session);
  }

  key(name: string): void {
    tmux("send-keys", "-t", this.session, name);
  }

  /** True once the program rang the terminal bell (tmux's window bell flag). */
  rang(): boolean {
    return tmux("display-message", "-p", "-t", this.session, "#{window_bell_flag}").trim() === "1";
  }

  /** The screen's lines; with `escapes`, with the colour and attribute codes in them. */
  screen(escapes = false): string[] {
    return tmux("capture-pane", "-t", this.session, "-p", ...(escapes ? ["-e"] : [])).split("\n");
  }

  /** Waits until the screen passes the test; returns it. */
  async waitFor(test: (lines: string[]) => boolean, what: string, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.screen();
      if (test(lines)) return lines;
      if (Date.now() > deadline) throw new Error(`screen never showed ${what}:\n${lines.join("\n")}`);
      await Bun.sleep(50); // polling a screen: there is no event to wait on
    }
  }

  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string[]> {
    return this.waitFor((lines) => lines.some((l) => pattern.test(l)), String(pattern), timeoutMs);
  }
}
