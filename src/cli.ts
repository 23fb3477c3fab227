// Flag parsing shared by both entry points, with errors a person can act on.

export class UsageError extends Error {}

/** A flag: a string that takes a value, or a boolean switch; `short` is a one-letter alias. */
type Options = Record<string, { type: "string" | "boolean"; short?: string }>;
type Values<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string };

/**
 * Parses flags strictly, the way node:util's parseArgs does with strict: true and no positionals:
 * `--name value`, `--name=value`, `--switch`, `-h`. Unknown flags, missing values and stray
 * arguments are a UsageError. Written here because importing node:util costs the server 5.7 MB
 * of its memory budget.
 */
export function parseFlags<O extends Options>(argv: string[], options: O): Values<O> {
  const values: Record<string, string | boolean> = {};
  const shorts = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) if (spec.short) shorts.set(spec.short, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (/^-[^-]$/.test(arg)) {
      name = shorts.get(arg[1]!);
    } else {
      throw new UsageError(`Unexpected argument '${arg}'. This command does not take positional arguments`);
    }
    const spec = name === undefined ? undefined : options[name];
    if (name === undefined || spec === undefined) throw new UsageError(`Unknown option '${arg}'`);
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`Option '--${name}' does not take a value`);
      values[name] = true;
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith("-"))) {
      throw new UsageError(`Option '--${name} <value>' needs a value (--${name}=<value> for one that starts with '-')`);
    }
    if (inline === undefined) i++;
    values[name] = value;
  }
  return values as Values<O>;
}

/** Every value given to a repeatable flag (`--admin a --admin=b`), in order; parseFlags checked them. */
export function allValues(argv: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}` && argv[i + 1] !== undefined) values.push(argv[++i]!);
    else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3));
  }
  return values;
}

export function parsePort(value: string | undefined, fallback: number, allowZero = true, flag = "--port"): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535 || (!allowZero && port === 0)) {
    throw new UsageError(`${flag} needs a number from ${allowZero ? 0 : 1} to 65535, not "${value}".`);
  }
  return port;
}

/** A whole number from `min` to `max` for `flag`, or the fallback when the flag is absent. */
export function parseCount(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} needs a whole number ${range}, not "${value}".`);
  }
  return n;
}

/** Runs an entry point: usage errors print with a hint and exit 2; anything else is a bug. */
export async function runMain(program: string, main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${program}: ${err.message}\nTry '${program} --help'.\n`);
    process.exit(2);
  }
}

/** A SIGINT this soon after the first is the same Ctrl-C delivered twice. */
export const SAME_SIGNAL_MS = 500;

/**
 * What SIGINT and SIGTERM do: the first stops gracefully; another hurries (stops waiting for slow
 * clients). One Ctrl-C can arrive twice, from the terminal to its whole process group and again
 * forwarded by npm: a SIGINT within SAME_SIGNAL_MS of a first SIGINT is that same one. A second
 * SIGTERM is always meant (kill, a service manager).
 */
export function stopSignals(on: { stop(signal: string): void; hurry(): void; now(): number }): (signal: string) => void {
  let first: { signal: string; at: number } | undefined;
  return (signal) => {
    if (first === undefined) {
      first = { signal, at: on.now() };
      return on.stop(signal);
    }
    const copy = signal === "SIGINT" && first.signal === "SIGINT" && on.now() - first.at < SAME_SIGNAL_MS;
    if (!copy) on.hurry();
  };
}
