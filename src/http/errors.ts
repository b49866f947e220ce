import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { HubError } from '../errors.js';

/** Every error a client sees is `{ error: { code, message } }`; no stack trace, no secret. */
export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` } });
};

// body-parser (inside Express) marks its errors with a `type`; they are the client's fault.
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'malformed_json', message: 'the request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'the request body is too large' },
  'encoding.unsupported': { status: 415, code: 'unsupported_encoding', message: 'unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset', message: 'unsupported charset' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'the request was aborted' },
  'request.size.invalid': { status: 400, code: 'bad_request', message: 'request size did not match Content-Length' },
  'parameters.too.many': { status: 413, code: 'payload_too_large', message: 'too many parameters' },
};

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (res.headersSent) {
    req.log?.error({ err: error }, 'error after response started');
    res.destroy();
    return;
  }
  if (error instanceof HubError) {
    res.set(error.headers).status(error.status).json({ error: { code: error.code, message: error.message } });
    return;
  }
  if (error instanceof ZodError) {
    const message = error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    res.status(400).json({ error: { code: 'invalid_request', message } });
    return;
  }
  const bodyError = BODY_ERRORS[(error as { type?: string }).type ?? ''];
  if (bodyError) {
    res.status(bodyError.status).json({ error: { code: bodyError.code, message: bodyError.message } });
    return;
  }
  const status = (error as { status?: number; expose?: boolean }).status;
  if (status && status >= 400 && status < 500 && (error as { expose?: boolean }).expose) {
    res.status(status).json({ error: { code: 'bad_request', message: (error as Error).message } });
    return;
  }
  req.log?.error({ err: error }, 'internal error');
  res.status(500).json({ error: { code: 'internal', message: `internal error; request id ${String(req.id)}` } });
};
