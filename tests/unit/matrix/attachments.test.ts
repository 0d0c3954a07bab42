import { randomBytes } from 'node:crypto';
import * as W from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttachmentIntegrityError, decryptAttachment, encryptAttachment } from '../../../src/channels/matrix/crypto/attachments.js';

beforeAll(async () => {
  await W.initAsync();
});

describe('encrypted attachments', () => {
  const photo = randomBytes(50_000);

  it('round-trips, and the ciphertext is not the file', () => {
    const { ciphertext, file } = encryptAttachment(photo);
    expect(ciphertext.length).toBe(photo.length);
    expect(ciphertext.equals(photo)).toBe(false);
    expect(file).toMatchObject({ v: 'v2', key: { alg: 'A256CTR', kty: 'oct', ext: true } });
    expect(file.iv).toMatch(/^[A-Za-z0-9+/]{22}$/); // 16 bytes, unpadded base64
    expect(decryptAttachment(ciphertext, file).equals(photo)).toBe(true);
  });

  it('refuses a ciphertext that does not match its hash', () => {
    const { ciphertext, file } = encryptAttachment(photo);
    ciphertext[10] = (ciphertext[10] ?? 0) ^ 1;
    expect(() => decryptAttachment(ciphertext, file)).toThrow(AttachmentIntegrityError);
  });

  it("is read by the Rust crypto library's own implementation, and reads what it writes", () => {
    const { ciphertext, file } = encryptAttachment(photo);
    const theirs = W.Attachment.decrypt(new W.EncryptedAttachment(ciphertext, JSON.stringify({ ...file, url: 'mxc://localhost/x' })));
    expect(Buffer.from(theirs).equals(photo)).toBe(true);

    const encrypted = W.Attachment.encrypt(photo);
    const info = JSON.parse(encrypted.mediaEncryptionInfo ?? '{}') as Parameters<typeof decryptAttachment>[1];
    expect(decryptAttachment(encrypted.encryptedData, info).equals(photo)).toBe(true);
  });
});
