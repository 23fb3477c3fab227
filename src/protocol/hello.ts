// The first line a structured client sends (the JSON hello), as the server reads it.

import type { ClientHello } from "./events.ts";

/** Reads the first line of a structured client; undefined if it is not a hello at all. */
export function parseClientHello(line: string): ClientHello | { error: string } | undefined {
  if (!line.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: "The first line looks like JSON but does not parse." };
  }
  if (typeof value !== "object" || value === null || !("type" in value) || value.type !== "hello") {
    return { error: 'A structured client must start with {"type":"hello","proto":1}.' };
  }
  const proto = "proto" in value ? value.proto : undefined;
  if (typeof proto !== "number") return { error: 'The hello needs "proto": 1.' };
  const client = "client" in value && typeof value.client === "string" ? value.client : undefined;
  const echo = "echo" in value && value.echo === true;
  return { type: "hello", proto, ...(client === undefined ? {} : { client }), ...(echo ? { echo } : {}) };
}

