import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { saveStaffUser } from '../../src/dashboard/staff-users.js';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/store.js';

/**
 * The dashboard bench's backlog: N conversations with 5 messages, an urgency call, an
 * acknowledgement and an escalation (two steps, a target, three events) each; a quarter open. Set-
 * based statements, ids derived from the row number (benchUuid('conv', g)) so tables join.
 * Also an admin `bench@hub.test` / `bench-password-0123`.
 */
export async function seedBacklog(dataDir: string, N: number): Promise<void> {
  const store = await openStore({ dataDir, poolSize: 2 });
  try {
    await migrate(store);
    // md5 hex with the version and variant digits of a v4 UUID, so the hub's id checks accept it.
    const id = (kind: string, g: string) => sql.raw(`overlay(overlay(md5('${kind}' || ${g}) placing '4' from 13) placing '8' from 17)::uuid`);
    const statements = [
      sql`INSERT INTO contacts (id, identity_kind, identity_key, email, name, verified)
          SELECT ${id('contact', 'g')}, 'chat', 'bench:' || g, 'customer' || g || '@bench.example', 'Customer ' || g, true FROM generate_series(1, ${N}) g`,
      sql`INSERT INTO conversations (id, contact_id, channel, source, thread_key, subject, created_at, last_message_at)
          SELECT ${id('conv', 'g')}, ${id('contact', 'g')}, 'chat', 'chat:bench', 'bench-' || g, NULL, now() - g * interval '1 minute', now() - g * interval '1 minute' FROM generate_series(1, ${N}) g`,
      sql`INSERT INTO messages (id, conversation_id, direction, author_kind, author_name, text, source, source_message_id, created_at)
          SELECT ${id('msg', "g || '-' || m")}, ${id('conv', 'g')}, CASE WHEN m % 2 = 0 THEN 'outbound' ELSE 'inbound' END, CASE WHEN m % 2 = 0 THEN 'agent' ELSE 'customer' END,
                 CASE WHEN m % 2 = 0 THEN 'Agent' ELSE 'Customer ' || g END,
                 'Urgent: the payroll export fails for all our employees and salaries are due today! (message ' || m || ' of case ' || g || ')',
                 'chat:bench', 'bench-' || g || '-' || m, now() - g * interval '1 minute' + m * interval '1 second'
          FROM generate_series(1, ${N}) g, generate_series(1, 5) m`,
      sql`INSERT INTO triage_results (conversation_id, message_id, level, score, confidence, evidence, classified_text)
          SELECT ${id('conv', 'g')}, ${id('msg', "g || '-1'")}, (ARRAY['urgent','high','normal','low'])[1 + g % 4], 5, 'high',
                 '[{"phrase":"Urgent","category":"time_pressure","weight":2,"start":1,"end":7},{"phrase":"all our employees","category":"business_impact","weight":2,"start":38,"end":55}]'::jsonb,
                 E'\\nUrgent: the payroll export fails for all our employees and salaries are due today!'
          FROM generate_series(1, ${N}) g`,
      sql`INSERT INTO acknowledgements (conversation_id, contact_id, decision, level, basis, received_at, due_at, promise, text)
          SELECT ${id('conv', 'g')}, ${id('contact', 'g')}, 'sent', (ARRAY['urgent','high','normal','low'])[1 + g % 4], 'target',
                 now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '1 hour', 'within about an hour', 'Hi, we are on it.'
          FROM generate_series(1, ${N}) g`,
      sql`INSERT INTO escalations (id, conversation_id, policy, level, category, title, status, opened_at)
          SELECT ${id('esc', 'g')}, ${id('conv', 'g')}, 'urgent', (ARRAY['urgent','high','normal','low'])[1 + g % 4], 'time_pressure',
                 'Urgent: "the payroll export fails for case ' || g || '"', (ARRAY['open','acknowledged','resolved','resolved'])[1 + g % 4], now() - g * interval '1 minute'
          FROM generate_series(1, ${N}) g`,
      sql`INSERT INTO escalation_steps (escalation_id, step, due_at, targets, until, status, ran_at)
          SELECT ${id('esc', 'g')}, s, now() + (s - 1) * interval '30 days', CASE WHEN s = 1 THEN '["github"]'::jsonb ELSE '["slack"]'::jsonb END, 'acknowledged',
                 CASE WHEN s = 1 THEN 'done' ELSE 'scheduled' END, CASE WHEN s = 1 THEN now() END
          FROM generate_series(1, ${N}) g, generate_series(1, 2) s`,
      sql`INSERT INTO escalation_targets (escalation_id, step, target, state, attempts, external_id, url)
          SELECT ${id('esc', 'g')}, 1, 'github', 'opened', 1, g::text, 'https://github.com/acme/escalations/issues/' || g FROM generate_series(1, ${N}) g`,
      sql`INSERT INTO escalation_events (id, escalation_id, at, kind, detail)
          SELECT ${id('event', "g || '-' || k")}, ${id('esc', 'g')}, now() - g * interval '1 minute', (ARRAY['opened','target.opened','step.ran'])[k], '{"target":"github"}'::jsonb
          FROM generate_series(1, ${N}) g, generate_series(1, 3) k`,
      sql`INSERT INTO sync_conversations (integration_id, conversation_id, external_id, metadata, dirty)
          SELECT 'helpscout', ${id('conv', 'g')}, (100000 + g)::text, '{}'::jsonb, false FROM generate_series(1, ${N}) g`,
    ];
    for (const statement of statements) await statement.execute(store.db);
    await saveStaffUser(store, { email: 'bench@hub.test', role: 'admin', password: 'bench-password-0123' }, 'bench');
  } finally {
    await store.close();
  }
}

/** The id the seed gives row `g` of `kind` (what the SQL above computes). */
export function benchUuid(kind: string, g: number): string {
  const hex = createHash('md5').update(`${kind}${g}`).digest('hex');
  const v4 = `${hex.slice(0, 12)}4${hex.slice(13, 16)}8${hex.slice(17)}`;
  return `${v4.slice(0, 8)}-${v4.slice(8, 12)}-${v4.slice(12, 16)}-${v4.slice(16, 20)}-${v4.slice(20)}`;
}
