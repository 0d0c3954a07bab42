import { createLogger } from '../../src/logger.js';

/** A silent logger for tests (set LOG_LEVEL=debug to see what Lien logs). */
export const testLogger = createLogger(process.env.LOG_LEVEL ?? 'silent');
