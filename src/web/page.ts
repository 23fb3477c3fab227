// The browser client as the server serves it: index.html, the client script (app.bundle.js: app.ts
// and the protocol code it imports, bundled by scripts/page.ts) and the style sheet. All three are
// text imports, so `bun build --compile` puts them inside the server binary: nothing is read from disk.

import htmlText from "./index.html" with { type: "text" };
import css from "./style.css" with { type: "text" };
// @ts-ignore: TypeScript types a module by its file, not by the import's `type: "text"` (Bun's).
import bundleText from "./app.bundle.js" with { type: "text" };

/**
 * Every answer the web door gives carries these. The page may load only its own script, style
 * and WebSocket: no inline script, no other origin, no frames, no plugins.
 */
export const PAGE_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  /** The same, gzipped: what a browser that accepts gzip is sent. */
  gzip: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

export interface Page {
  /** By path: "/", the hashed script and style sheet. */
  assets: Map<string, Asset>;
  /** Bytes of the page, script and style together, before compression and gzipped (what a browser downloads). */
  bytes: number;
  gzipped: number;
}

const utf8 = new TextEncoder();
// What `type: "text"` gives; TypeScript takes the .html for an HTMLBundle, and the script for its exports.
const html = htmlText as unknown as string;
const js = bundleText as unknown as string;

/** Builds the page once: the names of the script and style sheet carry a hash of their content. */
export function buildPage(): Page {
  const hash = (text: string) => Bun.hash(text).toString(36).slice(0, 10);
  const script = `/app.${hash(js)}.js`;
  const style = `/app.${hash(css)}.css`;
  const index = html.replace("%SCRIPT%", script).replace("%STYLE%", style);
  const immutable = "public, max-age=31536000, immutable";
  const assets = new Map<string, Asset>([
    ["/", asset(index, "text/html; charset=utf-8", "no-cache")],
    [script, asset(js, "text/javascript; charset=utf-8", immutable)],
    [style, asset(css, "text/css; charset=utf-8", immutable)],
  ]);
  let bytes = 0;
  let gzipped = 0;
  for (const { body, gzip } of assets.values()) {
    bytes += body.length;
    gzipped += gzip.length;
  }
  return { assets, bytes, gzipped };
}

function asset(text: string, type: string, cache: string): Asset {
  const body = utf8.encode(text);
  const headers = { "content-type": type, "cache-control": cache, vary: "accept-encoding", ...PAGE_HEADERS };
  return { body, gzip: Bun.gzipSync(body), headers };
}

/** The answer for an asset: gzipped when the browser says it takes gzip. */
export function assetResponse(asset: Asset, acceptEncoding: string | null): Response {
  if (acceptEncoding && /\bgzip\b/.test(acceptEncoding)) {
    return new Response(asset.gzip, { headers: { ...asset.headers, "content-encoding": "gzip" } });
  }
  return new Response(asset.body, { headers: asset.headers });
}
