/** Who a room message notifies: intentional mentions (m.mentions) and pills. */
import { describe, expect, it } from 'vitest';
import { addressedText, mentionsContent, personMessage, textContent } from '../../../src/channels/matrix/messages.js';

const sophie = { userId: '@sophie:lien.test', name: 'Sophie <Bernard>' };

describe('mentions in room messages', () => {
  it("names the worker a person's message is for with a pill, the text unchanged", () => {
    expect(personMessage({ label: 'Camille Martin', text: 'Bonjour\nMerci', mention: sophie })).toEqual({
      body: 'Camille Martin: Bonjour\nMerci',
      html: '<b>Camille Martin</b> → <a href="https://matrix.to/#/@sophie:lien.test">Sophie &lt;Bernard&gt;</a><br>Bonjour<br>Merci',
    });
    expect(personMessage({ label: 'Camille Martin', text: 'Bonjour' })).toEqual({ body: 'Camille Martin: Bonjour', html: '<b>Camille Martin</b><br>Bonjour' });
  });

  it('says explicitly when a message mentions nobody', () => {
    expect({ ...textContent({ body: 'x' }), ...mentionsContent([]) }).toEqual({ msgtype: 'm.text', body: 'x', 'm.mentions': {} });
    expect(mentionsContent(['@sophie:lien.test'])).toEqual({ 'm.mentions': { user_ids: ['@sophie:lien.test'] } });
  });

  it('addresses a text to workers, names first', () => {
    expect(addressedText('Pendant la fermeture…', [sophie])).toEqual({
      body: 'Sophie <Bernard>: Pendant la fermeture…',
      html: '<a href="https://matrix.to/#/@sophie:lien.test">Sophie &lt;Bernard&gt;</a>: Pendant la fermeture…',
    });
    expect(addressedText('Bonjour', [])).toEqual({ body: 'Bonjour' });
  });
});
