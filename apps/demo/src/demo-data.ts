import { join } from 'node:path';

/**
 * The demo's data folder: `LIVEGATE_DEMO_DATA_DIR`, or `.demo-data` in the folder it is started
 * from. The SQLite user store (and its key file) lives there unless LIVEGATE_LIVE_AUTH__SQLITE_PATH
 * says otherwise.
 */
export function demoDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIVEGATE_DEMO_DATA_DIR?.trim() || join(process.cwd(), '.demo-data');
}
