/**
 * The demo that `npm start` sets up on its embedded default: a team, a worker account on the local
 * Synapse, and one accompanied person, so that SMS → room → SMS can be tried at once on the dev phone.
 */
import { createHmac } from 'node:crypto';
import { registerUser, type EmbeddedSynapse, type MatrixSession } from '../embedded/synapse.js';
import type { FieldCipher } from '../store/field-cipher.js';
import type { Models } from '../store/models/index.js';
import { DEFAULT_OPENING_SLOTS } from '../domain/office-hours.js';

export const DEMO_TEAM_SLUG = 'equipe-demo';
export const DEMO_PERSON_PHONE = '+33600000001';
export const DEMO_SERVICE_NUMBER = '+33700000000';
const DEMO_WORKER_LOCALPART = 'referente';

export interface Demo {
  worker: MatrixSession & { displayName: string; password: string };
  personPhone: string;
  serviceNumber: string;
}

export async function seedDemo(models: Models, cipher: FieldCipher, synapse: EmbeddedSynapse): Promise<Demo> {
  const password = createHmac('sha256', synapse.sharedSecret).update('lien demo worker').digest('base64url');
  const displayName = 'Awa Diallo (référente)';
  const session = await registerUser(synapse.baseUrl, synapse.sharedSecret, { localpart: DEMO_WORKER_LOCALPART, password, displayName });

  // Clear rooms: the dev phone plays the worker with a plain Matrix client (real teams are encrypted by default).
  const team =
    (await models.Team.findOne({ slug: DEMO_TEAM_SLUG })) ??
    (await models.Team.create({ slug: DEMO_TEAM_SLUG, name: 'Équipe démo', officeHours: DEFAULT_OPENING_SLOTS, settings: { encryptRooms: false } }));
  const worker =
    (await models.Worker.findOne({ matrixUserId: session.userId })) ??
    (await models.Worker.create({ matrixUserId: session.userId, displayName, team: team._id, role: 'worker' }));
  const phoneIndex = cipher.blindIndex(DEMO_PERSON_PHONE);
  if (!(await models.Person.exists({ phoneIndex }))) {
    await models.Person.create({ phoneIndex, phoneSealed: cipher.encrypt(DEMO_PERSON_PHONE), displayName: 'Camille Martin', pseudonym: 'Personne 1001', team: team._id, referent: worker._id, language: 'fr' });
  }
  return { worker: { ...session, displayName, password }, personPhone: DEMO_PERSON_PHONE, serviceNumber: DEMO_SERVICE_NUMBER };
}
