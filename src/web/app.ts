/** The express application: body limits, the routes each part contributes, and JSON errors. */
import express, { type Express, type Router } from 'express';
import type { Logger } from '../logger.js';
import { errorHandler, notFound } from './errors.js';
import { healthRouter, type HealthCheck } from './health.js';

export interface AppOptions {
  logger: Logger;
  bodyLimit: string;
  health: readonly HealthCheck[];
  /** Opens /healthz's detail to callers off loopback (see ops-access.ts). */
  opsToken?: string | undefined;
  /** Routers contributed by the channels, the inbox, the dashboard… mounted in this order. */
  routers?: readonly Router[];
}

/**
 * A form body whose percent-encoding does not decode (a dangling `%`, `%zz`, bytes that are not UTF-8) is
 * refused as unparsable (400): left to the parser, such a value would silently stay undecoded.
 */
function refuseUndecodableForm(_req: unknown, _res: unknown, buf: Buffer): void {
  const body = buf.toString('utf8');
  if (!body.includes('%')) return;
  for (const part of body.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/gu, ' '));
    } catch {
      throw Object.assign(new Error('the form body has percent-encoding that does not decode'), { type: 'entity.parse.failed' });
    }
  }
}

export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(express.json({ limit: opts.bodyLimit }));
  app.use(express.urlencoded({ extended: false, limit: opts.bodyLimit, parameterLimit: 200, verify: refuseUndecodableForm }));
  app.use(healthRouter(opts.health, { opsToken: opts.opsToken }));
  for (const router of opts.routers ?? []) app.use(router);
  app.use(notFound);
  app.use(errorHandler(opts.logger));
  return app;
}
