import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion, type BuildOptions } from 'esbuild';

/**
 * Bundles widget.ts (and the client it imports) into `build/widget/hub-widget.js`: one minified
 * IIFE for ES2019 browsers with a linked source map. Skips the work when the sources are the same
 * as last time (a stamp file holds their hash), so calling it at every start costs milliseconds.
 * Also a script: `node --import tsx src/channels/chat/widget/build.ts [--force]`.
 */

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const entryPoint = fileURLToPath(new URL('./widget.ts', import.meta.url));
/** Directories whose TypeScript goes into the bundle (besides whatever the last build pulled in). */
const sourceDirs = [fileURLToPath(new URL('./', import.meta.url)), fileURLToPath(new URL('../client/', import.meta.url))];
/** Server-side modules that live beside the widget but are never bundled. */
const notBundled = new Set([fileURLToPath(import.meta.url), fileURLToPath(new URL('./routes.ts', import.meta.url))]);

export const defaultWidgetOutDir = join(repoRoot, 'build', 'widget');
export const WIDGET_FILE_NAME = 'hub-widget.js';

export interface WidgetBuild {
  /** Absolute path of the bundle; its source map is beside it (`.map`). */
  file: string;
  /** `<package version>+<source hash>`: what the widget reports as its sdkVersion. */
  version: string;
  /** False when the existing bundle was already up to date. */
  rebuilt: boolean;
}

interface Stamp {
  hash: string;
  version: string;
  /** Repo-relative paths of every file esbuild read for the last bundle. */
  inputs: string[];
}

const inFlight = new Map<string, Promise<WidgetBuild>>();

export function buildWidget(options: { outDir?: string; force?: boolean } = {}): Promise<WidgetBuild> {
  const outDir = resolve(options.outDir ?? defaultWidgetOutDir);
  // Callers in one process share a build; across processes the atomic renames keep files whole.
  let running = inFlight.get(outDir);
  if (!running) {
    running = buildOnce(outDir, options.force ?? false).finally(() => inFlight.delete(outDir));
    inFlight.set(outDir, running);
  }
  return running;
}

async function buildOnce(outDir: string, force: boolean): Promise<WidgetBuild> {
  const file = join(outDir, WIDGET_FILE_NAME);
  const stampFile = join(outDir, 'hub-widget.stamp.json');
  const previous = readStamp(stampFile);
  const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  let inputs = union(listSources(), (previous?.inputs ?? []).map((path) => join(repoRoot, path)));

  // The version (with the hash) is compiled into the bundle, so the hash must be known before
  // esbuild runs. If the bundle turns out to read a file not hashed yet, hash again and rebuild.
  for (let pass = 0; ; pass++) {
    const hash = hashInputs(inputs, packageVersion);
    const version = `${packageVersion}+${hash.slice(0, 12)}`;
    if (!force && previous?.hash === hash && existsSync(file) && existsSync(`${file}.map`)) return { file, version, rebuilt: false };

    const result = await build({ ...bundleOptions(file, version), write: false, metafile: true });
    const bundled = Object.keys(result.metafile.inputs).map((path) => resolve(repoRoot, path));
    const unhashed = bundled.filter((path) => !inputs.includes(path));
    if (unhashed.length > 0 && pass === 0) {
      inputs = union(inputs, unhashed);
      continue;
    }

    mkdirSync(outDir, { recursive: true });
    // The map before the script and the stamp last: an interrupted write means a rebuild next time.
    const outputs = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith('.js')) - Number(b.path.endsWith('.js')));
    for (const output of outputs) writeAtomically(output.path, output.contents);
    const stamp: Stamp = { hash, version, inputs: bundled.map((path) => relative(repoRoot, path).split(sep).join('/')).sort() };
    writeAtomically(stampFile, JSON.stringify(stamp, null, 2));
    return { file, version, rebuilt: true };
  }
}

function bundleOptions(outfile: string, version: string): BuildOptions {
  return {
    entryPoints: [entryPoint],
    outfile,
    absWorkingDir: repoRoot,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2019'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: `/*! Support Hub chat widget ${version} */` },
    define: { __HUB_WIDGET_VERSION__: JSON.stringify(version) },
    logLevel: 'silent',
  };
}

/** Sources, esbuild's version and the options: any change means a different bundle. */
function hashInputs(inputs: string[], packageVersion: string): string {
  const hash = createHash('sha256');
  hash.update(`esbuild ${esbuildVersion}\0package ${packageVersion}\0${JSON.stringify(bundleOptions('', ''))}\0`);
  for (const path of [...inputs].sort()) {
    hash.update(`${relative(repoRoot, path)}\0`);
    hash.update(existsSync(path) ? readFileSync(path) : '\0missing');
    hash.update('\0');
  }
  return hash.digest('hex');
}

function listSources(): string[] {
  const files: string[] = [];
  // A plain walk: Dirent.parentPath of recursive readdir needs Node 20.12, engines allow 20.11.
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && path.endsWith('.ts') && !path.endsWith('.test.ts') && !notBundled.has(path)) files.push(path);
    }
  };
  for (const dir of sourceDirs) walk(dir);
  return files;
}

function readStamp(path: string): Stamp | null {
  try {
    const stamp = JSON.parse(readFileSync(path, 'utf8')) as Partial<Stamp>;
    return typeof stamp.hash === 'string' && Array.isArray(stamp.inputs) ? (stamp as Stamp) : null;
  } catch {
    return null;
  }
}

function writeAtomically(path: string, contents: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildWidget({ force: process.argv.includes('--force') });
  console.log(`widget ${result.rebuilt ? 'built' : 'up to date'}: ${relative(process.cwd(), result.file)} (${result.version})`);
}
