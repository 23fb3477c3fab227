// bun run page: bundles the browser client (src/web/app.ts and what it imports from the protocol:
// the decoder, the command table, the server's sentences) into src/web/app.bundle.js, which the
// server serves and `bun build --compile` puts in the binary. test/docs.test.ts fails when the
// bundle is not what this would write now: run it after changing the page or what it imports.

import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
export const BUNDLE = join(ROOT, "src/web/app.bundle.js");

/** The page's script, bundled and minified for the browser. */
export async function bundlePage(): Promise<string> {
  const built = await Bun.build({ entrypoints: [join(ROOT, "src/web/app.ts")], target: "browser", minify: true });
  if (!built.success || built.outputs.length !== 1) throw new Error(`the page did not build:\n${built.logs.join("\n")}`);
  return `// Made by scripts/page.ts from src/web/app.ts: do not edit.\n${await built.outputs[0]!.text()}`;
}

if (import.meta.main) await Bun.write(BUNDLE, await bundlePage());
