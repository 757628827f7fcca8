import { Logger } from '@nestjs/common';
import type { AuthModuleOptions } from '@livegate/auth';
import { booleanParser } from '@livegate/state';
import { join } from 'node:path';
import {
  DemoConfigurationError,
  TOKEN_SECRET_FILE,
  demoDataDir,
  developmentTokenSecret,
  isProduction,
} from './demo-data';

const parseBoolean = booleanParser();

/** A boolean variable as the auth module reads it; `undefined` when unset or not a boolean. */
function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const text = env[name]?.trim();
  if (!text) {
    return undefined;
  }
  const parsed = parseBoolean(text);
  return 'value' in parsed ? parsed.value : undefined;
}

/**
 * The demo's auth options, on top of what `LIVEGATE_DEPLOY__*` says (explicit options win, so
 * only what the environment leaves open is set here):
 * - auth is on unless `LIVEGATE_DEPLOY__AUTH_ENABLED=false`;
 * - without `LIVEGATE_DEPLOY__TOKEN_SECRET`, a development run uses the secret kept in the data
 *   folder (made once), and a production run (`NODE_ENV=production`) refuses to start;
 * - in development, cookies are not `Secure` unless `LIVEGATE_DEPLOY__AUTH_SECURE_COOKIES` says so,
 *   as the demo is served over plain HTTP on loopback.
 */
export function demoAuthOptions(env: NodeJS.ProcessEnv = process.env): AuthModuleOptions {
  const options: AuthModuleOptions = {};
  const enabled = flag(env, 'LIVEGATE_DEPLOY__AUTH_ENABLED');
  if (!env.LIVEGATE_DEPLOY__AUTH_ENABLED?.trim()) {
    options.enabled = true;
  }
  if (enabled === false) {
    return options;
  }
  const production = isProduction(env);
  if (!env.LIVEGATE_DEPLOY__TOKEN_SECRET?.trim()) {
    if (production) {
      throw new DemoConfigurationError(
        'NODE_ENV=production needs LIVEGATE_DEPLOY__TOKEN_SECRET (at least 32 characters, the ' +
          'same on every worker): the development secret of the data folder is never used in ' +
          'production',
      );
    }
    const directory = demoDataDir(env);
    options.tokenSecret = developmentTokenSecret(directory);
    new Logger('Demo').log(
      `Auth is on, signing with the development token secret in ${join(directory, TOKEN_SECRET_FILE)} ` +
        '(set LIVEGATE_DEPLOY__TOKEN_SECRET in production)',
    );
  }
  if (!production && !env.LIVEGATE_DEPLOY__AUTH_SECURE_COOKIES?.trim()) {
    options.secureCookies = false;
  }
  return options;
}
