import type { IncomingMessage } from 'node:http';
import { HubError } from '../errors.js';

/**
 * The whole body of a small request (a sidebar card call: a few hundred bytes), without
 * body-parser's stream machinery, charset and content-encoding negotiation — on the card path
 * that was more of the hub's CPU per request than the card itself. A body over `limit` is 413
 * (before reading, when Content-Length says so); a compressed body is 415: the hub's own scripts
 * never compress a card request.
 */
export function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return Promise.reject(new HubError(415, 'unsupported_encoding', `content-encoding "${encoding.slice(0, 40)}" is not accepted here; send the body uncompressed`));
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        finish();
        // Read and drop the rest, so the answer (413) reaches a client that is still sending.
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      finish();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onAbort = () => {
      finish();
      reject(new HubError(400, 'request_aborted', 'the request body ended early'));
    };
    const finish = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}

function tooLarge(limit: number): HubError {
  return new HubError(413, 'body_too_large', `the request body is larger than ${limit} bytes`);
}
