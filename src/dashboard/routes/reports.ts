import { Router } from 'express';
import type { IntegrationRegistry } from '../../capabilities/registry.js';
import type { HubConfig } from '../../config.js';
import { parseInput } from '../../errors.js';
import type { HubMetrics } from '../../ops/metrics.js';
import type { Store } from '../../store/store.js';
import type { HelpdeskSync } from '../../sync/index.js';
import { PRIORITIES } from '../../triage/eval/csv.js';
import { auditFilters, auditPage, PAGE_SIZE } from '../reports/audit-page.js';
import { classifierFeedback, MIN_CALLS_FOR_PRECISION } from '../reports/classifier-feedback.js';
import { integrationHealth } from '../reports/integration-health.js';
import { correctionsCsv, lexiconSuggestions } from '../reports/lexicon-suggestions.js';
import { audit } from '../audit.js';
import { promiseKeeping } from '../reports/promise-keeping.js';
import type { Teams } from '../../team/teams.js';
import { redactorFor } from '../reports/redaction.js';
import { renderPage, requirePermission, staffOf } from '../web.js';

export interface ReportRoutesDeps {
  store: Store;
  config: HubConfig;
  /** Where the schemas mark secrets (LoadedConfig.secretPaths): their values are redacted from shown text. */
  secretPaths: readonly string[][];
  registry: IntegrationRegistry;
  sync: HelpdeskSync;
  /** What /metrics counts, shown per integration on the Integrations page. */
  metrics: HubMetrics;
  teamTimeZone: string;
  /** Who answers which categories (their names head the Promises page's per-team tables). */
  teams: Teams;
  clock: () => Date;
}

/** "75 %" (whole percent; the pages print shares this way next to their meters). */
export const percent = (share: number) => `${Math.round(share * 100)} %`;

/**
 * Read-only pages: integrations, promises, classifier (and its suggestions), audit log. Each one
 * is a query module under ../reports and a template; nothing here changes state. Every request
 * already has a staff member with `read` (the audit log also needs `audit`).
 */
export function reportRoutes(deps: ReportRoutesDeps): Router {
  const router = Router();
  const zone = deps.teamTimeZone;
  const redact = redactorFor(deps.config, deps.secretPaths);

  router.get('/dashboard/integrations', async (_req, res) => {
    const report = await integrationHealth({ store: deps.store, registry: deps.registry, sync: deps.sync, metrics: deps.metrics, redact });
    renderPage(res, 'integrations', { title: 'Integrations', section: 'integrations', zone, ...report });
  });

  router.get('/dashboard/promises', async (_req, res) => {
    const report = await promiseKeeping({ store: deps.store, zone, now: deps.clock(), teams: deps.teams.all });
    renderPage(res, 'promises', { title: 'Reply-time promises', section: 'promises', zone, percent, ...report });
  });

  router.get('/dashboard/classifier', async (_req, res) => {
    const report = await classifierFeedback({ store: deps.store, zone, now: deps.clock(), redact });
    renderPage(res, 'classifier', { title: 'Classifier feedback', section: 'classifier', zone, percent, minCalls: MIN_CALLS_FOR_PRECISION, ...report });
  });

  router.get('/dashboard/classifier/suggestions', async (_req, res) => {
    const report = await lexiconSuggestions({ store: deps.store, redact });
    renderPage(res, 'suggestions', { title: 'Lexicon suggestions', section: 'classifier', classes: PRIORITIES, ...report });
  });

  // Customer text in bulk: admins only, and the export itself is audited.
  router.get('/dashboard/classifier/corrections.csv', requirePermission('export'), async (req, res) => {
    const { csv, rows } = await correctionsCsv(deps.store);
    await audit(deps.store.db, { actor: staffOf(res), action: 'classifier.corrections_exported', detail: { rows }, ip: req.ip });
    res.set('Content-Disposition', 'attachment; filename="corrections.csv"').type('text/csv; charset=utf-8').send(redact(csv));
  });

  router.get('/dashboard/audit', requirePermission('audit'), async (req, res) => {
    const filters = parseInput(auditFilters, req.query, 'filters', 'invalid_filters');
    const page = await auditPage({ store: deps.store, redact }, filters);
    renderPage(res, 'audit', { title: 'Audit log', section: 'audit', zone, filters, pageSize: PAGE_SIZE, ...page });
  });

  return router;
}
