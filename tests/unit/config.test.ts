import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('has working defaults for the embedded development setup', () => {
    const c = loadConfig({});
    expect(c.env).toBe('development');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 3000, publicUrl: undefined, bodyLimit: '64kb' });
    expect(c.dataDir).toBe(path.resolve('data'));
    expect(c.mongo.uri).toBeUndefined();
    expect(c.matrix.homeserverUrl).toBeUndefined();
  });

  it('names every bad variable with what is wrong', () => {
    const found = problems({ PORT: '70000', LOG_LEVEL: 'loud', PUBLIC_URL: 'example.org', LIEN_SECRET_KEY: 'c2hvcnQ=' });
    expect(found).toHaveLength(4);
    expect(found).toEqual(
      expect.arrayContaining([
        'PORT: must be between 0 and 65535',
        'PUBLIC_URL: must be an http(s) URL (the address people and Twilio reach Lien at)',
        expect.stringMatching(/^LOG_LEVEL: .*'info'/),
        'LIEN_SECRET_KEY: must be 32 random bytes in base64 (openssl rand -base64 32)',
      ]),
    );
  });

  it('requires a complete Matrix login when a homeserver is configured', () => {
    expect(problems({ MATRIX_HOMESERVER_URL: 'https://matrix.example.org' })).toEqual([
      'MATRIX_USER_ID: required when MATRIX_HOMESERVER_URL is set',
      'MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD: one is required when MATRIX_HOMESERVER_URL is set',
    ]);
    expect(problems({ MATRIX_HOMESERVER_URL: 'https://matrix.example.org/', MATRIX_USER_ID: '@lien:example.org', MATRIX_PASSWORD: 'x' })).toEqual([]);
    expect(loadConfig({ MATRIX_HOMESERVER_URL: 'https://matrix.example.org/', MATRIX_USER_ID: '@lien:example.org', MATRIX_PASSWORD: 'x' }).matrix.homeserverUrl).toBe('https://matrix.example.org');
  });

  it('refuses the embedded defaults in production', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'MONGODB_URI: required in production (the embedded database is for development)',
      'MATRIX_HOMESERVER_URL: required in production (the embedded homeserver is for development)',
      'LIEN_SECRET_KEY: required in production (encrypts phone numbers and messages at rest)',
      'PUBLIC_URL: required in production (Twilio signs requests against it)',
      'TWILIO_ACCOUNT_SID: required in production (the dev phone is for development)',
    ]);
  });

  it('requires LIEN_SECRET_KEY whenever the database is shared, saying why', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const found = problems({ MONGODB_URI: 'mongodb://db.example.org/lien' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^LIEN_SECRET_KEY: required with MONGODB_URI /);
    expect(found[0]).toContain("stop finding each other's people");
    expect(problems({ MONGODB_URI: 'mongodb://db.example.org/lien', LIEN_SECRET_KEY: key })).toEqual([]);
    expect(loadConfig({ MONGODB_URI: 'mongodb://db.example.org/lien', LIEN_SECRET_KEY: key }).secretKey?.length).toBe(32);
    // The embedded database keeps its own key in the data directory: nothing to share.
    expect(problems({})).toEqual([]);
    // A malformed key is named once, for what is wrong with it.
    expect(problems({ MONGODB_URI: 'mongodb://db.example.org/lien', LIEN_SECRET_KEY: 'c2hvcnQ=' })).toEqual(['LIEN_SECRET_KEY: must be 32 random bytes in base64 (openssl rand -base64 32)']);
  });

  it('refuses an http:// PUBLIC_URL in production, not in development', () => {
    const production = {
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://db.example.org/lien',
      LIEN_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
      MATRIX_HOMESERVER_URL: 'https://matrix.example.org',
      MATRIX_USER_ID: '@lien:example.org',
      MATRIX_PASSWORD: 'x',
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 't',
      TWILIO_FROM_NUMBER: '+33757000000',
    };
    expect(problems({ ...production, PUBLIC_URL: 'http://lien.example.org' })).toEqual([
      'PUBLIC_URL: must be https:// in production (webhooks and the dev phone carry personal data)',
    ]);
    expect(problems({ ...production, PUBLIC_URL: 'https://lien.example.org' })).toEqual([]);
    expect(problems({ PUBLIC_URL: 'http://localhost:3000' })).toEqual([]);
  });

  it('reads the ops token and the media cap, with their limits', () => {
    expect(loadConfig({}).opsToken).toBeUndefined();
    expect(loadConfig({ LIEN_OPS_TOKEN: 'o'.repeat(32) }).opsToken).toBe('o'.repeat(32));
    expect(problems({ LIEN_OPS_TOKEN: 'short' })).toEqual(['LIEN_OPS_TOKEN: must be at least 24 characters (openssl rand -hex 24)']);
    const twilio = { TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't', TWILIO_FROM_NUMBER: '+33757000000' };
    expect(loadConfig(twilio).twilio?.mediaMaxBytes).toBe(5 * 1024 * 1024);
    expect(loadConfig({ ...twilio, TWILIO_MEDIA_MAX_BYTES: '100000' }).twilio?.mediaMaxBytes).toBe(100_000);
    expect(problems({ ...twilio, TWILIO_MEDIA_MAX_BYTES: '10' })).toEqual([`TWILIO_MEDIA_MAX_BYTES: must be between 1024 and ${100 * 1024 * 1024}`]);
  });

  it('wants Twilio credentials whole, with a number or a messaging service', () => {
    expect(problems({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` })).toEqual([
      'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both or neither',
      'TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID: one is required with Twilio credentials',
    ]);
    const c = loadConfig({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't', TWILIO_FROM_NUMBER: '+33757000000' });
    expect(c.devPhone).toBe(false);
    expect(c.twilio?.from).toBe('+33757000000');
    expect(loadConfig({}).devPhone).toBe(true);
  });
});
