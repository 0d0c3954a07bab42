import { describe, expect, it } from 'vitest';
import { consentKeyword } from '../../../src/domain/keywords.js';

describe('opt-out keywords', () => {
  it.each(['STOP', 'stop', 'Stop !', ' ARRÊT ', 'arret', 'Stop SMS', 'unsubscribe'])('%j opts out', (t) => {
    expect(consentKeyword(t)?.kind).toBe('opt-out');
  });
  it.each(['START', 'start', 'Unstop', 'démarrer'])('%j opts in', (t) => {
    expect(consentKeyword(t)?.kind).toBe('opt-in');
  });
  it.each(['stop appelez moi', 'Il faut que ça stop', 'OUI', 'arrête de m’appeler le matin'])('%j is an ordinary message', (t) => {
    expect(consentKeyword(t)).toBeNull();
  });
});
