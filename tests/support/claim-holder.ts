/**
 * Run as a process of its own (`node --import tsx tests/support/claim-holder.ts <mongo uri> <key>`): a
 * stand-in for another Lien process that beats its heartbeat and holds a renewable claim on `key`, then
 * waits to be killed. It prints `holding <claim> as <process id>` once the claim is won.
 */
import { connect } from '../../src/store/database.js';
import { createModels } from '../../src/store/models/index.js';
import { Claims, Heartbeat, PROCESS_ID } from '../../src/store/claims.js';

const [uri, key] = process.argv.slice(2);
if (!uri || !key) throw new Error('usage: claim-holder.ts <mongo uri> <key>');
const conn = await connect(uri, 10_000);
const models = createModels(conn);
await new Heartbeat(models).start();
const claim = await new Claims(models).acquireRenewable(key, 60 * 60_000);
process.stdout.write(`holding ${claim ?? 'nothing'} as ${PROCESS_ID}\n`);
setInterval(() => undefined, 60_000); // held until killed
