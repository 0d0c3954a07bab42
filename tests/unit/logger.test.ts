import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhone } from '../../src/logger.js';

describe('logging', () => {
  it('never writes a phone number or a message text', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info({ From: '+33612345678', Body: 'je suis à la rue', req: { body: { Body: 'secret', From: '+33699999999' } }, phone: '+33611111111' }, 'inbound sms');
    logger.info({ message: { body: 'texte privé', to: '+33622222222' } }, 'outbound');
    const out = lines.join('');
    expect(out).toContain('inbound sms');
    for (const secret of ['612345678', 'à la rue', 'secret', '699999999', '611111111', 'texte privé', '622222222']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('masks a number to something that tells two apart without revealing it', () => {
    expect(maskPhone('+33612345678')).toBe('+33•••••••78');
  });
});
