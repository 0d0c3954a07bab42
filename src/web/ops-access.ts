/**
 * Who may read Lien's operations endpoints (/metrics, the detailed /healthz): a caller on loopback, or
 * one that shows the ops token (`Authorization: Bearer <LIEN_OPS_TOKEN>`).
 *
 * "On loopback" means the TCP peer is 127.0.0.0/8 or ::1 *and* the request carries no forwarding header
 * (X-Forwarded-For, Forwarded, X-Real-IP): Lien usually sits behind a reverse proxy on the same host, and
 * a request the proxy relays from the Internet arrives from loopback too. Such a request is not local.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

export type OpsAccess = 'local' | 'token' | 'denied' | 'bad_token';

const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/u.test(a);
}

/** True when the request came straight from this host, not relayed by a proxy. */
export function isLocalRequest(req: Request): boolean {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return false;
  return FORWARDING_HEADERS.every((h) => req.headers[h] === undefined);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** How this request may see the ops endpoints; `bad_token` when it showed a token that is not the one. */
export function opsAccess(req: Request, token: string | undefined): OpsAccess {
  const header = req.get('authorization');
  const shown = header && /^Bearer\s+/iu.test(header) ? header.replace(/^Bearer\s+/iu, '').trim() : undefined;
  if (token && shown !== undefined) {
    // Compared as digests: equal length, constant time, whatever was sent.
    return timingSafeEqual(digest(shown), digest(token)) ? 'token' : 'bad_token';
  }
  if (isLocalRequest(req)) return 'local';
  return shown !== undefined ? 'bad_token' : 'denied';
}
