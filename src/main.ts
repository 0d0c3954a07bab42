/** Entry point: reads the configuration once, starts Lien, and stops it cleanly on SIGTERM / SIGINT. */
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { startLien } from './lien.js';
import { createLogger } from './logger.js';

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  let config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      say(`${err.message}\nSee .env.example for every setting.`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let lien;
  try {
    lien = await startLien(config, logger, say);
  } catch (err) {
    logger.fatal({ err: { name: (err as Error).name, message: (err as Error).message } }, 'Lien could not start');
    say(`Lien could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  say(`Lien is listening on ${lien.url} (health: ${lien.url}/healthz; data: ${lien.db.description})`);
  if (lien.demo) {
    say(`Dev phone: open ${lien.url}/dev/phone to text as ${lien.demo.personPhone} and answer as ${lien.demo.worker.userId}.`);
  }

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      say('Stopping at once.');
      process.exit(130);
    }
    logger.info({ signal }, 'stopping');
    say('Stopping Lien… (again to force)');
    void lien.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: { message: (err as Error).message } }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
