// Hashing and checking account passwords with Bun.password (argon2id), a few at a time. One hash
// takes about 144 ms and 64 MiB here: 200 logins at once, hashed together, would want 12.8 GB. So
// at most `running` hashes run at once, at most `queued` wait, and past that a login is told the
// server is busy: memory stays bounded and chat (which never waits for a hash) stays responsive.

export type HashOptions = Parameters<typeof Bun.password.hash>[1];

/** The server's cost for a hash: Bun's argon2id defaults (64 MiB, 2 passes). */
export const DEFAULT_HASH: HashOptions = { algorithm: "argon2id" };

/** Fewest characters of a new password (--password-min). */
export const PASSWORD_MIN = 8;

export class Passwords {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly options: HashOptions = DEFAULT_HASH,
    private readonly running = 2,
    private readonly queued = 64,
    /** Fewest characters a new password may have. */
    readonly minLength = PASSWORD_MIN,
  ) {}

  /** The hash of `password`, or "busy" when too many wait already. */
  hash(password: string): Promise<string> | "busy" {
    return this.run(() => Bun.password.hash(password, this.options));
  }

  /** Whether `password` is the one `hash` was made from (constant time), or "busy". */
  verify(password: string, hash: string): Promise<boolean> | "busy" {
    return this.run(() => Bun.password.verify(password, hash).catch(() => false));
  }

  /**
   * A check that fails, as long as a real one (against a hash of this server's cost, made once):
   * a name with no password to check is answered no sooner than one with a wrong password.
   */
  decoy(password: string): Promise<boolean> | "busy" {
    return this.run(async () => {
      this.decoyHash ??= Bun.password.hash(crypto.randomUUID(), this.options);
      await Bun.password.verify(password, await this.decoyHash).catch(() => false);
      return false;
    });
  }

  private decoyHash: Promise<string> | undefined;

  /** Hashes running and waiting now. */
  get load(): number {
    return this.active + this.waiting.length;
  }

  private run<T>(job: () => Promise<T>): Promise<T> | "busy" {
    if (this.active >= this.running && this.waiting.length >= this.queued) return "busy";
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.active++;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.waiting.shift()?.();
          });
      };
      if (this.active < this.running) start();
      else this.waiting.push(start);
    });
  }
}
