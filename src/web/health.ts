/** GET /healthz: each part of Lien says ok or failed with a reason; 503 when an essential one is down. */
import { Router } from 'express';
import { opsAccess } from './ops-access.js';

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

export interface HealthRouterOptions {
  /** Opens the detailed answer to callers off loopback (`Authorization: Bearer …`). */
  opsToken?: string | undefined;
}

/**
 * The detailed report (each check, its detail or reason: hosts, device ids…) goes only to loopback callers
 * and to those with the ops token (see ops-access.ts); anyone else, a load balancer say, gets the overall
 * status alone, with the same HTTP status: 200 for ok or degraded, 503 for failed.
 */
export function healthRouter(checks: readonly HealthCheck[], opts: HealthRouterOptions = {}): Router {
  const router = Router();
  router.get('/healthz', async (req, res) => {
    const report = await runHealthChecks(checks);
    const access = opsAccess(req, opts.opsToken);
    const detailed = access === 'local' || access === 'token';
    res
      .status(report.status === 'failed' ? 503 : 200)
      .set('Cache-Control', 'no-store')
      .json(detailed ? report : { status: report.status });
  });
  return router;
}
