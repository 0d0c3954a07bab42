/**
 * Encryption at rest for personal data (phone numbers, message texts): AES-256-GCM with a random IV per
 * value, and a keyed blind index (HMAC-SHA-256) so that a phone number can be looked up without being
 * stored in clear. Both keys are derived from the one 32-byte secret.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class FieldCipher {
  private readonly encKey: Buffer;
  private readonly indexKey: Buffer;

  constructor(secret: Buffer) {
    if (secret.length !== 32) throw new Error('the secret key must be 32 bytes');
    this.encKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'lien field encryption', 32));
    this.indexKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'lien blind index', 32));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, ct] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || ct === undefined) throw new Error('not a value sealed by Lien');
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
  }

  /** Same input, same output: lets a unique index and a lookup work on a value never stored in clear. */
  blindIndex(value: string): string {
    return createHmac('sha256', this.indexKey).update(value).digest('base64url');
  }
}
