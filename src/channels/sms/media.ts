/**
 * Fetches an MMS attachment from Twilio. Its media URLs answer only to the account's credentials, then
 * redirect to a short-lived address on Twilio's CDN. Only Twilio's hosts are fetched from:
 *   - the media URL itself: https on api.twilio.com or another *.twilio.com host (regional APIs);
 *   - redirects: *.twilio.com, *.twiliocdn.com (mms.twiliocdn.com), and the legacy public bucket
 *     s3-external-1.amazonaws.com/media.twiliocdn.com/… that older media still live in.
 * The account's credentials go to *.twilio.com only, never to the CDN. A body larger than the cap is
 * refused (by its Content-Length, or while it streams in). Anything else gets a MediaRefusedError that
 * says what was wrong; the caller tells the room.
 */

export type MediaRefusal = 'host_not_allowed' | 'too_large' | 'too_many_redirects' | 'http_status';

export class MediaRefusedError extends Error {
  constructor(
    readonly reason: MediaRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'MediaRefusedError';
  }
}

const MAX_REDIRECTS = 5;

/** Hosts that may carry credentials: Twilio's own API. */
function isTwilioApiHost(host: string): boolean {
  return host === 'twilio.com' || host.endsWith('.twilio.com');
}

/** May Lien fetch from this address? `first` is the media URL Twilio sent; later ones are redirects. */
export function allowedMediaUrl(url: URL, first: boolean): boolean {
  if (url.protocol !== 'https:' || url.username || url.password || (url.port && url.port !== '443')) return false;
  const host = url.hostname.toLowerCase();
  if (isTwilioApiHost(host)) return true;
  if (first) return false;
  if (host === 'twiliocdn.com' || host.endsWith('.twiliocdn.com')) return true;
  return /^s3(-external-1)?(\.[a-z0-9-]+)?\.amazonaws\.com$/u.test(host) && url.pathname.startsWith('/media.twiliocdn.com/');
}

function where(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

export interface MediaFetcherOptions {
  timeoutMs?: number;
  /** Largest attachment accepted, in bytes. */
  maxBytes: number;
}

export function twilioMediaFetcher(accountSid: string, authToken: string, opts: MediaFetcherOptions) {
  const auth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return async (mediaUrl: string): Promise<{ data: Uint8Array; contentType: string }> => {
    const signal = AbortSignal.timeout(timeoutMs);
    let url: URL;
    try {
      url = new URL(mediaUrl);
    } catch {
      throw new MediaRefusedError('host_not_allowed', 'the media URL is not a URL');
    }
    for (let hop = 0; ; hop++) {
      if (!allowedMediaUrl(url, hop === 0)) {
        throw new MediaRefusedError('host_not_allowed', `media are fetched only from Twilio's hosts over https, not from ${where(url)}`);
      }
      const res = await fetch(url, { headers: isTwilioApiHost(url.hostname.toLowerCase()) ? { Authorization: auth } : {}, redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (!location) throw new MediaRefusedError('http_status', `the media host answered ${res.status} without a Location`);
        if (hop >= MAX_REDIRECTS) throw new MediaRefusedError('too_many_redirects', `more than ${MAX_REDIRECTS} redirects fetching a media`);
        url = new URL(location, url);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new MediaRefusedError('http_status', `media fetch answered ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        await res.body?.cancel();
        throw new MediaRefusedError('too_large', `the media is ${declared} bytes, more than the ${opts.maxBytes} accepted (TWILIO_MEDIA_MAX_BYTES)`);
      }
      const data = await readCapped(res, opts.maxBytes);
      return { data, contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
    }
  };
}

/** The body, refused as soon as it grows past `max` bytes (a missing or false Content-Length included). */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new MediaRefusedError('too_large', `the media is more than the ${max} bytes accepted (TWILIO_MEDIA_MAX_BYTES)`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
