/**
 * One shape for every error Lien's HTTP answers carry:
 *   { "error": { "status": 400, "code": "invalid_json", "message": "…" } }
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { status, code, message } });
}

/** body-parser's error types, as a precise answer for the caller. */
const BODY_ERRORS: Record<string, { status: number; code: string; message: (limit?: number) => string }> = {
  'entity.parse.failed': { status: 400, code: 'invalid_body', message: () => 'The request body could not be parsed: check that it is well-formed JSON or form data.' },
  'entity.too.large': { status: 413, code: 'body_too_large', message: (limit) => `The request body is larger than the ${limit ?? 'allowed'} bytes this server accepts.` },
  'encoding.unsupported': { status: 415, code: 'unsupported_encoding', message: () => 'The request body uses a character set this server does not read (use UTF-8).' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset', message: () => 'The request body uses a character set this server does not read (use UTF-8).' },
  'request.aborted': { status: 400, code: 'request_aborted', message: () => 'The request was aborted before its body arrived.' },
  'request.size.invalid': { status: 400, code: 'invalid_length', message: () => 'The request body does not match its Content-Length.' },
  'parameters.too.many': { status: 413, code: 'too_many_parameters', message: () => 'The request has too many form parameters.' },
};

export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `Nothing is served at ${req.method} ${req.path}.`);
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof HttpError) {
      sendError(res, err.status, err.code, err.message);
      return;
    }
    const e = err as { type?: string; limit?: number; status?: number };
    const known = e.type ? BODY_ERRORS[e.type] : undefined;
    if (known) {
      logger.info({ path: req.path, type: e.type }, 'rejected a malformed request');
      sendError(res, known.status, known.code, known.message(e.limit));
      return;
    }
    // Any other client error the HTTP stack raised (a body whose Content-Encoding does not decode, a path
    // that does not decode…): its own 4xx, never a 500, and nothing of its message (it may quote internals).
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      logger.info({ path: req.path, status: e.status, type: e.type, name: (err as Error).name }, 'rejected a malformed request');
      sendError(res, e.status, 'bad_request', e.status === 400 ? 'The request could not be read: check its body and its Content-Encoding.' : 'The request was refused.');
      return;
    }
    logger.error({ path: req.path, method: req.method, err: { message: (err as Error).message, stack: (err as Error).stack } }, 'unhandled error in a request');
    sendError(res, 500, 'internal_error', 'Something went wrong on our side; nothing you sent was lost if it was acknowledged. Please try again.');
  };
}
