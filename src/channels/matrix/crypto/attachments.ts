/**
 * Attachments in encrypted rooms (the spec's EncryptedFile): the file is encrypted with AES-256-CTR
 * under a fresh key and counter block, uploaded as opaque bytes, and the room event carries the key,
 * the IV and the SHA-256 of the ciphertext in its `file` object. Plain node:crypto, so that it works
 * alike whichever crypto engine runs; tests check it against the Rust library's own implementation.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface EncryptedFile {
  url: string;
  key: { kty: 'oct'; key_ops: string[]; alg: 'A256CTR'; k: string; ext: true };
  iv: string;
  hashes: { sha256: string };
  v: 'v2';
}

const unpadded = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const fromBase64 = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

/** Encrypts `data`; the caller uploads `ciphertext` and fills in `file.url` with its mxc URI. */
export function encryptAttachment(data: Uint8Array): { ciphertext: Buffer; file: Omit<EncryptedFile, 'url'> } {
  const key = randomBytes(32);
  // The counter block: 8 random bytes, then a 64-bit counter starting at zero (as clients expect).
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  return {
    ciphertext,
    file: {
      key: { kty: 'oct', key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR', k: key.toString('base64url'), ext: true },
      iv: unpadded(iv),
      hashes: { sha256: unpadded(createHash('sha256').update(ciphertext).digest()) },
      v: 'v2',
    },
  };
}

export class AttachmentIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttachmentIntegrityError';
  }
}

/** Decrypts a downloaded attachment, after checking its hash; throws AttachmentIntegrityError when it does not match. */
export function decryptAttachment(ciphertext: Uint8Array, file: Pick<EncryptedFile, 'key' | 'iv' | 'hashes'>): Buffer {
  if (file.key?.alg !== 'A256CTR' || typeof file.key.k !== 'string') throw new AttachmentIntegrityError('not an AES-CTR encrypted attachment');
  const expected = fromBase64(file.hashes?.sha256 ?? '');
  const actual = createHash('sha256').update(ciphertext).digest();
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new AttachmentIntegrityError('the attachment does not match its hash');
  const key = fromBase64(file.key.k);
  const iv = fromBase64(file.iv);
  if (key.length !== 32 || iv.length !== 16) throw new AttachmentIntegrityError('bad key or IV length');
  const decipher = createDecipheriv('aes-256-ctr', key, iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
