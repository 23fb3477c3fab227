// Server admins (--admin): accounts, judged by their key (foldName) wherever the member is, and how
// an admin name that nobody has registered yet is claimed. Whoever registered it first over the
// network would be admin, so such a name registers only with a setup code that the server prints
// in its own log: whoever can read the server's log runs the server.

import { foldName } from "../protocol/names.ts";
import type { Maybe } from "../store/history.ts";
import { sameDigest, sha256 } from "../session/secrets.ts";

/** Letters of a setup code: no 0/O or 1/I/L to misread from a log. */
const CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/** A fresh setup code: 12 letters of 31 (59 bits), shown as ABCD-EFGH-JKMN. */
function newCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const letters = [...bytes].map((b) => CODE_LETTERS[b % CODE_LETTERS.length]!).join("");
  return `${letters.slice(0, 4)}-${letters.slice(4, 8)}-${letters.slice(8)}`;
}

export class Admins {
  /** The admins' names as given, by key. */
  private readonly names = new Map<string, string>();
  /** This server's setup code for each admin name, until it is registered with it. */
  private readonly codes = new Map<string, string>();
  private log: (line: string) => void = () => {};

  constructor(names: readonly string[] = []) {
    for (const name of names) this.names.set(foldName(name), name);
  }

  /** Whether the account with this key is a server admin's. */
  has(key: string | undefined): boolean {
    return key !== undefined && this.names.has(key);
  }

  /**
   * At start: for each admin name not registered yet, a warning with its setup code in the log
   * (`registered(key)`: whether that name has an account). A name that can't be looked up now
   * gets its code all the same: it is useless once the name is registered.
   */
  announce(registered: (key: string) => Maybe<boolean>, log: (line: string) => void): Promise<void> {
    this.log = log;
    const all = [...this.names.keys()].map(async (key) => {
      let known: boolean | undefined;
      try {
        known = await registered(key);
      } catch {
        known = undefined;
      }
      if (known !== true) this.tell(key);
    });
    return Promise.all(all).then(() => undefined);
  }

  /** The name has no account any more (/unregister): a code for it again, in the log. */
  unregistered(key: string): void {
    if (this.names.has(key)) this.tell(key);
  }

  /**
   * Whether `code` is this server's setup code for the admin name `key`, compared in constant time;
   * good for one registration (`spend` once it is made). With no code here yet (the name was
   * registered when this server started, then given up on another node), one is logged now.
   */
  opens(key: string, code: string): boolean {
    const expected = this.codes.get(key);
    if (expected === undefined) {
      this.tell(key);
      return false;
    }
    return sameDigest(sha256(code.toUpperCase()), sha256(expected));
  }

  spend(key: string): void {
    this.codes.delete(key);
  }

  private tell(key: string): void {
    let code = this.codes.get(key);
    if (code === undefined) this.codes.set(key, (code = newCode()));
    const name = this.names.get(key);
    this.log(
      `! --admin ${name} is not registered: only someone with this code can register it. ` +
        `Join as ${name} and type /register <password> ${code} (good until this server stops)`,
    );
  }
}
