/**
 * GET /metrics: Lien's counters in Prometheus' text format (no personal data in them), for loopback
 * callers and for those with the ops token only (see ops-access.ts).
 */
import { Router } from 'express';
import type { Metrics } from '../metrics.js';
import { sendError } from './errors.js';
import { opsAccess } from './ops-access.js';

export interface MetricsRouterOptions {
  /** Opens /metrics to callers off loopback (`Authorization: Bearer …`). */
  opsToken?: string | undefined;
}

export function metricsRouter(metrics: Metrics, opts: MetricsRouterOptions = {}): Router {
  const router = Router();
  router.get('/metrics', (req, res) => {
    const access = opsAccess(req, opts.opsToken);
    if (access === 'bad_token') {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, 401, 'bad_ops_token', 'The Authorization header does not carry the operations token (LIEN_OPS_TOKEN).');
      return;
    }
    if (access === 'denied') {
      sendError(res, 403, 'ops_only', 'Metrics are served on loopback, or with the operations token (Authorization: Bearer, LIEN_OPS_TOKEN).');
      return;
    }
    res.type('text/plain; version=0.0.4').set('Cache-Control', 'no-store').send(metrics.render());
  });
  return router;
}
