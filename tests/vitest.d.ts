/** Values that tests/global-setup.ts hands to the tests through `project.provide` / `inject`. */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Synapse started for the test run, e.g. http://127.0.0.1:41234. */
    synapseUrl: string;
    /** Its registration_shared_secret, for registerUser. */
    synapseSharedSecret: string;
    /** MongoDB connection string of the embedded FerretDB started for the test run. */
    mongoUri: string;
    /** Where the embedded services are installed (.tools). */
    toolsDir: string;
  }
}
