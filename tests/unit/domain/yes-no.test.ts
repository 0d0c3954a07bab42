import { describe, expect, it } from 'vitest';
import { normalizeAnswer, recognizeYesNo } from '../../../src/domain/yes-no.js';

describe('recognizeYesNo', () => {
  it.each([
    'oui', 'Oui !', 'OUI.', '  oui  ', 'ouiiii', 'ouii', 'Oui oui', 'ouais', 'ouai', 'oué', 'o', '1', '1️⃣', 'yes', 'y', 'ok', 'OK !',
    'okay', 'oki', "d'accord", 'd’accord', 'dacord', 'daccord', 'bien sûr', 'je confirme', 'confirmé', "c'est bon", 'c bon',
    '👍', '👍🏽', 'si', 'sí', 'da', 'ça marche', 'pas de souci', 'approuver', 'oui merci', 'Oui merci beaucoup madame',
    'ok merci 🙏', 'Bjr oui', 'oui je serai là', 'OUI JE CONFIRME LE RDV',
  ])('%j is yes', (t) => {
    expect(recognizeYesNo(t)).toBe('yes');
  });

  it.each([
    'non', 'NON !', 'nooon', 'nn', 'n', '2', 'no', 'nope', 'annuler', 'annule', "j'annule", 'je ne peux pas', 'je peux pas',
    'pas possible', "c'est pas possible", 'impossible', '👎', "pas d'accord", 'non désolé', 'Non merci', 'non je ne peux pas',
  ])('%j is no', (t) => {
    expect(recognizeYesNo(t)).toBe('no');
  });

  it.each([
    // a sentence that starts like an answer but asks for something else
    "oui mais je serai en retard de 10 min, c'est possible de décaler ?",
    'je sais pas',
    'je ne sais pas',
    'peut-être',
    // "non" here may be a pleasantry or "no, move it to tomorrow": a human reads it
    'non merci pour hier, à demain',
    'oui à demain',
    'oui non',
    'ok non',
    "non non c'est bon",
    // the recognizer reads a lone "pas" as no; it is not an answer
    'pas',
    'bonjour',
    'merci',
    '🙏',
    '',
    '   ',
    'stop',
    '3',
    '11',
    'qui',
  ])('%j is not a clear answer', (t) => {
    expect(recognizeYesNo(t)).toBeUndefined();
  });
});

describe('normalizeAnswer', () => {
  it.each([
    ['  Oui !! ', 'oui'],
    ['ÉTÉ', 'ete'],
    ["D'accord.", 'daccord'],
    ['ouiiiii', 'oui'],
    ['annuler', 'annuler'],
    ['1️⃣', '1'],
    ['２', '2'],
    ['Menu   3 🙏', 'menu 3'],
    ['11', '11'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeAnswer(input)).toBe(expected);
  });
});

describe('answers in the other languages of locales/', () => {
  it.each([
    ['Sí', 'yes'], ['claro', 'yes'], ['sim, obrigado', 'yes'], ['Da', 'yes'], ['Так', 'yes'], ['نعم', 'yes'], ['بلی', 'yes'], ['١', 'yes'], ['۱', 'yes'],
    ['no, gracias', 'no'], ['Não', 'no'], ['nu', 'no'], ['Ні', 'no'], ['لا', 'no'], ['نه', 'no'], ['٢', 'no'],
  ] as const)('%s → %s', (text, expected) => {
    expect(recognizeYesNo(text)).toBe(expected);
  });

  it('still leaves a sentence to a human', () => {
    expect(recognizeYesNo('sim, mas vou chegar atrasado')).toBeUndefined();
    expect(recognizeYesNo('نعم ولكن متأخر')).toBeUndefined();
  });
});
