/**
 * Twilio signs every webhook: HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio
 * called followed by the POST parameters sorted by name (name then value, no separator), in base64, in the
 * X-Twilio-Signature header. The URL is the public one (Lien may sit behind a reverse proxy), so callers
 * pass `publicUrl + req.originalUrl`. See https://www.twilio.com/docs/usage/webhooks/webhooks-security.
 */
import twilio from 'twilio';

/** Form parameters as express.urlencoded({ extended: false }) gives them. */
export type TwilioParams = Record<string, string | string[]>;

/**
 * True when the signature header is Twilio's for this URL and these parameters. Twilio's own check also
 * tries the URL with and without an explicit port, since Twilio's signing is not consistent about it.
 */
export function twilioSignatureValid(
  authToken: string,
  signatureHeader: string | undefined,
  url: string,
  params: TwilioParams,
): boolean {
  if (!authToken || !signatureHeader) return false;
  try {
    return twilio.validateRequest(authToken, signatureHeader, url, params);
  } catch {
    // An unparsable URL or a malformed header is simply not a valid signature.
    return false;
  }
}

/** The X-Twilio-Signature Twilio would send for this request: for the dev phone and tests. */
export function signTwilioRequest(authToken: string, url: string, params: TwilioParams): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}
