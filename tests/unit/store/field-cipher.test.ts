import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FieldCipher } from '../../../src/store/field-cipher.js';

describe('encryption at rest', () => {
  const cipher = new FieldCipher(randomBytes(32));
  it('seals differently each time and opens back to the same text', () => {
    const a = cipher.encrypt('+33612345678');
    const b = cipher.encrypt('+33612345678');
    expect(a).not.toBe(b);
    expect(a).not.toContain('612345678');
    expect(cipher.decrypt(a)).toBe('+33612345678');
  });
  it('refuses a tampered value and a value sealed with another key', () => {
    const sealed = cipher.encrypt('bonjour');
    const parts = sealed.split(':');
    const tampered = [parts[0], parts[1], parts[2], Buffer.from('hello!!').toString('base64')].join(':');
    expect(() => cipher.decrypt(tampered)).toThrow();
    expect(() => new FieldCipher(randomBytes(32)).decrypt(sealed)).toThrow();
  });
  it('gives a stable blind index per key', () => {
    expect(cipher.blindIndex('+33612345678')).toBe(cipher.blindIndex('+33612345678'));
    expect(cipher.blindIndex('+33612345678')).not.toBe(new FieldCipher(randomBytes(32)).blindIndex('+33612345678'));
  });
});
