/** GET /healthz: each part of Lien says ok or failed with a reason; 503 when an essential one is down. */
import { Router } from 'express';

export interface HealthCheck {
  name: string;
  /** An essential part being down makes the whole answer 503. */
  essential: boolean;
  /** Resolves with optional detail when healthy; rejects with the reason when not. */
  check(): Promise<string | undefined | void>;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'failed';
  checks: Record<string, { status: 'ok' | 'failed'; essential: boolean; detail?: string; reason?: string }>;
}

const CHECK_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export async function runHealthChecks(checks: readonly HealthCheck[]): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        const detail = await withTimeout(Promise.resolve().then(() => c.check()), CHECK_TIMEOUT_MS);
        return [c.name, { status: 'ok' as const, essential: c.essential, ...(detail ? { detail } : {}) }] as const;
      } catch (err) {
        return [c.name, { status: 'failed' as const, essential: c.essential, reason: (err as Error).message }] as const;
      }
    }),
  );
  const checksOut = Object.fromEntries(results);
  const failed = results.filter(([, r]) => r.status === 'failed');
  const status = failed.some(([, r]) => r.essential) ? 'failed' : failed.length > 0 ? 'degraded' : 'ok';
  return { status, checks: checksOut };
}

export function healthRouter(checks: readonly HealthCheck[]): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const report = await runHealthChecks(checks);
    res.status(report.status === 'failed' ? 503 : 200).set('Cache-Control', 'no-store').json(report);
  });
  return router;
}
