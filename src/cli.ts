// Flag parsing shared by both entry points: parseArgs, with errors a person can act on.

import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses flags strictly; unknown flags and stray arguments become a UsageError. */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ""));
  }
}

export function parsePort(value: string | undefined, fallback: number, allowZero = true): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535 || (!allowZero && port === 0)) {
    throw new UsageError(`--port needs a number from ${allowZero ? 0 : 1} to 65535, not "${value}".`);
  }
  return port;
}

/** A whole number of at least `min` for `flag`, or the fallback when the flag is absent. */
export function parseCount(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} needs a whole number of at least ${min}, not "${value}".`);
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
