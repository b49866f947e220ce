/**
 * The layering rules of ARCHITECTURE §2.1 and §3, read from the import lines of src/:
 * channels map inbound traffic into the canonical model and never know each other; the core
 * capabilities (conversations, sync, sidebar, triage, dashboard) never reach into a channel;
 * core code never imports a specific integration (only the registry, integrations/index.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ImportEdge {
  /** Repository-relative path of the importing file, e.g. "src/sync/push.ts". */
  from: string;
  /** Repository-relative path the specifier resolves to, e.g. "src/conversations/events.js". */
  to: string;
}

// Static imports and re-exports (`… from '…'`, also over several lines), side-effect imports
// and dynamic `import('…')`; only relative specifiers can point into the repository.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(?:ts|tsx|mts)$/.test(entry.name) ? [path] : [];
  });
}

function importEdges(): ImportEdge[] {
  return sourceFiles('src').flatMap((from) => {
    const text = readFileSync(join(ROOT, from), 'utf8');
    return [...text.matchAll(SPECIFIER)].map((match) => ({
      from,
      to: relative(ROOT, resolve(ROOT, dirname(from), match[1]!)).split('\\').join('/'),
    }));
  });
}

function channelOf(path: string): string | null {
  return /^src\/channels\/([^/]+)\//.exec(path)?.[1] ?? null;
}

const show = (edges: ImportEdge[]): string[] => edges.map(({ from, to }) => `${from} → ${to}`);

const edges = importEdges();

describe('layering of src/', () => {
  it('reads the import lines it judges (the hub composes both channels)', () => {
    // Guards the scanner itself: if it stopped seeing imports, every rule below would pass.
    expect(show(edges.filter((edge) => edge.from === 'src/hub.ts' && channelOf(edge.to) !== null))).toEqual(
      expect.arrayContaining([expect.stringContaining('src/channels/chat/'), expect.stringContaining('src/channels/email/')]),
    );
  });

  it('a channel never imports another channel (shared pieces live in the core, e.g. src/mail/)', () => {
    const crossing = edges.filter((edge) => {
      const own = channelOf(edge.from);
      const target = channelOf(edge.to);
      return own !== null && target !== null && own !== target;
    });
    expect(show(crossing)).toEqual([]);
  });

  it('conversations, sync, sidebar, triage and dashboard never import from a channel', () => {
    const core = /^src\/(?:conversations|sync|sidebar|triage|dashboard)\//;
    const intoChannels = edges.filter((edge) => core.test(edge.from) && channelOf(edge.to) !== null);
    expect(show(intoChannels)).toEqual([]);
  });

  it('core code never imports a specific integration, only the registry (integrations/index.ts)', () => {
    // The registry is how the process entries (main.ts, the CLIs) hand every integration to the
    // core without naming one; a path below integrations/<vendor>/ names one.
    const specific = edges.filter((edge) => edge.to.startsWith('integrations/') && !/^integrations\/index\.[jt]s$/.test(edge.to));
    expect(show(specific)).toEqual([]);
  });
});
