import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { integrations } from '../../integrations/index.js';
import { configTable } from '../../src/config/table.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('documents every configuration key exactly as the code defines it (run `npm run config:table`)', () => {
    const start = readme.indexOf('<!-- config-table:start -->\n');
    const end = readme.indexOf('<!-- config-table:end -->');
    expect(start).toBeGreaterThan(-1);
    expect(readme.slice(start + '<!-- config-table:start -->\n'.length, end).trim()).toBe(configTable(integrations));
  });

  it('shows the two commands a newcomer runs', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
