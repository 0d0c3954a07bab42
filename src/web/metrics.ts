/** GET /metrics: Lien's counters in Prometheus' text format (no personal data in them). */
import { Router } from 'express';
import type { Metrics } from '../metrics.js';

export function metricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(metrics.render());
  });
  return router;
}
