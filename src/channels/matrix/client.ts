/**
 * A small client for the Matrix client-server API (v3), over fetch. Every call honours 429 with the
 * server's retry-after, and failures carry the HTTP status and Matrix errcode.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'MatrixError';
  }
}

export class HomeserverUnreachableError extends Error {
  constructor(baseUrl: string, cause: unknown) {
    super(`the homeserver at ${baseUrl} does not answer: ${(cause as Error).message}`, { cause });
    this.name = 'HomeserverUnreachableError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Abort after this many milliseconds (the sync long-poll passes its own). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How many 429 answers to sit out before giving up. */
  maxRateLimitRetries?: number;
}

export class MatrixClient {
  constructor(
    readonly baseUrl: string,
    private accessToken: string | undefined,
  ) {}

  setAccessToken(token: string): void {
    this.accessToken = token;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const maxRetries = opts.maxRateLimitRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const signals = [AbortSignal.timeout(opts.timeoutMs ?? 30_000), ...(opts.signal ? [opts.signal] : [])];
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            ...(this.accessToken ? { Authorization: `Bearer ${this.accessToken}` } : {}),
            ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
          body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
          signal: AbortSignal.any(signals),
        });
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        throw new HomeserverUnreachableError(this.baseUrl, err);
      }
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        json = { error: text.slice(0, 200) };
      }
      if (res.ok) return json as T;
      const retryAfterMs = retryAfter(res, json);
      if (res.status === 429 && attempt < maxRetries) {
        await sleep(retryAfterMs ?? 1000 * 2 ** attempt, undefined, { signal: opts.signal });
        continue;
      }
      const errcode = typeof json.errcode === 'string' ? json.errcode : undefined;
      const error = typeof json.error === 'string' ? json.error : res.statusText;
      throw new MatrixError(res.status, errcode, `${method} ${path} → ${res.status} ${errcode ?? ''} ${error}`.trim(), retryAfterMs);
    }
  }

  whoami(): Promise<{ user_id: string; device_id?: string }> {
    return this.request('GET', '/_matrix/client/v3/account/whoami', { timeoutMs: 5000 });
  }
}

function retryAfter(res: Response, json: Record<string, unknown>): number | undefined {
  const header = res.headers.get('retry-after');
  if (header && /^\d+$/.test(header)) return Number(header) * 1000;
  return typeof json.retry_after_ms === 'number' ? json.retry_after_ms : undefined;
}
