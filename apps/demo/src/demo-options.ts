import { isProduction } from './demo-data';

/** How the demo's own pages behave in this environment. */
export interface DemoOptions {
  /**
   * The live page's Grant admin, Revoke admin, Join beta and Leave beta buttons, which change the
   * caller's own claims: on in development, off with `NODE_ENV=production` (an admin grants roles
   * on /admin there).
   */
  selfService: boolean;
}

export const DEMO_OPTIONS = Symbol('DEMO_OPTIONS');

export function demoOptions(env: NodeJS.ProcessEnv = process.env): DemoOptions {
  return { selfService: !isProduction(env) };
}
