import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { REDACTED } from '../../../src/config/secrets.js';
import { github } from '../../../integrations/github/index.js';
import { configProblems } from '../../support/config.js';

const problems = (env: Record<string, string>) => configProblems([github], env);
const TOKEN = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz';

describe('GitHub configuration', () => {
  it('GITHUB_REPO must be owner/name', () => {
    expect(problems({ GITHUB_TOKEN: TOKEN, GITHUB_REPO: 'acme/support-escalations' })).toBe('');
    for (const repo of ['acme', 'https://github.com/acme/support', 'acme/support/extra', '-acme/support', 'acme/..']) {
      expect(problems({ GITHUB_TOKEN: TOKEN, GITHUB_REPO: repo })).toMatch(/GITHUB_REPO \(integrations\.github\.repo\): must be owner\/name/);
    }
  });

  it('the token alone is a boot error naming the missing GITHUB_REPO; nothing set leaves GitHub off', () => {
    expect(problems({ GITHUB_TOKEN: TOKEN })).toMatch(/GITHUB_REPO/);
    expect(problems({})).toBe('');
  });

  it('token and webhook secret are secrets; labels come comma-separated; the API base defaults to api.github.com', () => {
    const loaded = loadConfig([github], { GITHUB_TOKEN: TOKEN, GITHUB_REPO: 'acme/esc', GITHUB_WEBHOOK_SECRET: 'hook-secret', GITHUB_LABELS: 'escalation, prod ,' });
    expect(loaded.config.integrations['github']).toMatchObject({ apiBase: 'https://api.github.com', labels: ['escalation', 'prod'] });
    expect(loaded.redacted().integrations['github']).toMatchObject({ token: REDACTED, webhookSecret: REDACTED });
    expect(JSON.stringify(loaded.redacted())).not.toContain(TOKEN);
    expect(loadConfig([github], {}).config.integrations['github']).toMatchObject({ labels: ['support-hub'] });
  });

  it('GitHub Enterprise Server: an API base with a path is kept (trailing slash dropped)', () => {
    const loaded = loadConfig([github], { GITHUB_TOKEN: TOKEN, GITHUB_REPO: 'acme/esc', GITHUB_API_BASE: 'https://ghe.acme.example/api/v3/' });
    expect(loaded.config.integrations['github']).toMatchObject({ apiBase: 'https://ghe.acme.example/api/v3' });
    expect(problems({ GITHUB_TOKEN: TOKEN, GITHUB_REPO: 'acme/esc', GITHUB_API_BASE: 'ftp://ghe.acme.example' })).toMatch(/GITHUB_API_BASE/);
  });

  it('a label over GitHub’s 50 characters is refused at boot', () => {
    expect(problems({ GITHUB_TOKEN: TOKEN, GITHUB_REPO: 'acme/esc', GITHUB_LABELS: 'x'.repeat(51) })).toMatch(/GITHUB_LABELS.*50 characters/);
  });
});
