import type { Finding, OpenApi3Document } from './openapi3.js';
import type { RecordedExchange } from './recording-fetch.js';

export interface Tally {
  /** Distinct findings (same kind, operation, place with array indices as `*`, message), with how often each came up. */
  findings: Map<string, { finding: Finding; times: number }>;
  operations: Set<string>;
  validated: number;
  undocumented: Set<string>;
}

/**
 * Every recorded exchange of one vendor's traffic against its OpenAPI document. Counting rule for
 * the summary line (`conformance vendor=… artefacts=N validated=M mismatches=K`):
 * - artefacts = the document files read (1) + each distinct documented operation the traffic used;
 * - validated = per exchange: its (method, path) placed (1), its query set if it had one (1), its
 *   JSON request body (1), its response when the document has a schema or no-body rule for that
 *   status (1); a lost answer has no response, an undocumented status is noted, not counted;
 * - mismatches = distinct findings (array indices in `where` read as `*`), each with its count.
 */
export function checkTraffic(doc: OpenApi3Document, exchanges: RecordedExchange[]): Tally {
  const tally: Tally = { findings: new Map(), operations: new Set(), validated: 0, undocumented: new Set() };
  const add = (found: Finding) => {
    const finding = { ...found, where: found.where.replace(/\/\d+(?=\/|$)/g, '/*') };
    const key = JSON.stringify([finding.kind, finding.operation, finding.where, finding.message]);
    const seen = tally.findings.get(key);
    if (seen) seen.times++;
    else tally.findings.set(key, { finding, times: 1 });
  };
  for (const exchange of exchanges) {
    tally.validated++;
    const operation = doc.operation(exchange.method, exchange.path);
    if (!operation) {
      add(doc.unplaced(exchange.method, exchange.path));
      continue;
    }
    tally.operations.add(operation.label);
    if (exchange.query.length > 0) {
      tally.validated++;
      doc.validateQuery(operation, exchange.query).forEach(add);
    }
    if (exchange.request.json !== undefined) {
      tally.validated++;
      doc.validateRequestBody(operation, exchange.request.json, 'strict', exchange.request.contentType ?? undefined).forEach(add);
    }
    if (exchange.response) {
      const { status, json, text, contentType } = exchange.response;
      const check = doc.validateResponse(operation, status, json ?? text, { contentType });
      if (check.validated) tally.validated++;
      if (!check.documented) tally.undocumented.add(`${operation.label} → ${status}`);
      check.findings.forEach(add);
    }
  }
  return tally;
}

export const formatFinding = ({ finding, times }: { finding: Finding; times: number }) =>
  `[${finding.kind}] ${finding.operation} ${finding.where}: ${finding.message}${times > 1 ? ` (×${times})` : ''}`;
