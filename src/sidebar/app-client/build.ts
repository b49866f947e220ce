import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the Help Scout sidebar app's script (helpscout-app.ts with @helpscout/javascript-sdk, a
 * dependency from npm, never copied into this repository) with esbuild at start, as the chat
 * widget is; held in memory (a few kilobytes, ~100 ms to build) with its stylesheet.
 */
export interface SidebarAppAssets {
  script: Buffer;
  stylesheet: Buffer;
  /** Hash of both: the pages ask for `?v=<version>`, so a new build is never served stale. */
  version: string;
}

const entryPoint = fileURLToPath(new URL('./helpscout-app.ts', import.meta.url));
const stylesheetFile = fileURLToPath(new URL('./helpscout-app.css', import.meta.url));
let built: Promise<SidebarAppAssets> | null = null;

export function buildSidebarAppAssets(): Promise<SidebarAppAssets> {
  built ??= bundle().catch((error: unknown) => {
    built = null;
    throw error;
  });
  return built;
}

async function bundle(): Promise<SidebarAppAssets> {
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    // Help Scout's web app supports current browsers only; the SDK's object rest needs ES2018+ as is.
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const script = Buffer.from(result.outputFiles[0]!.contents);
  const stylesheet = readFileSync(stylesheetFile);
  const version = createHash('sha256').update(script).update(stylesheet).digest('hex').slice(0, 12);
  return { script, stylesheet, version };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const assets = await buildSidebarAppAssets();
  console.log(`sidebar app script ${assets.script.length} bytes, version ${assets.version}`);
}
