import { createHash } from 'node:crypto';
import { Linter } from 'eslint';
import { LIVE_AUTH_NAMESPACE } from '../live-auth.protocol';
import {
  LIVE_AUTH_CLIENT_SCRIPT,
  LIVE_AUTH_CLIENT_SCRIPT_INTEGRITY,
  LIVE_AUTH_CLIENT_SCRIPT_SHA256,
} from './client-script';

// What the script does in a browser is proven by test/live-auth-script.e2e-spec.ts (Chromium).
describe('LIVE_AUTH_CLIENT_SCRIPT', () => {
  it('is an ES2019 classic script without eval or string-built code', () => {
    const messages = new Linter().verify(LIVE_AUTH_CLIENT_SCRIPT, {
      languageOptions: {
        ecmaVersion: 2019,
        sourceType: 'script',
        globals: {
          window: 'readonly',
          document: 'readonly',
          URL: 'readonly',
          CustomEvent: 'readonly',
          Object: 'readonly',
          Number: 'readonly',
          String: 'readonly',
        },
      },
      rules: {
        'no-eval': 'error',
        'no-implied-eval': 'error',
        'no-new-func': 'error',
        'no-undef': 'error',
        'no-unused-vars': 'error',
      },
    });
    expect(messages).toEqual([]);
  });

  it('never emits to the server and sets no inline handler', () => {
    expect(LIVE_AUTH_CLIENT_SCRIPT).not.toMatch(/\.emit\s*\(|\.send\s*\(/);
    expect(LIVE_AUTH_CLIENT_SCRIPT).not.toMatch(/\bon[a-z]+\s*=|setAttribute\(\s*['"]on/i);
    expect(LIVE_AUTH_CLIENT_SCRIPT).toContain(JSON.stringify(LIVE_AUTH_NAMESPACE));
  });

  it('comes with its SHA-256 and integrity value', () => {
    const digest = createHash('sha256').update(LIVE_AUTH_CLIENT_SCRIPT);
    expect(LIVE_AUTH_CLIENT_SCRIPT_SHA256).toBe(digest.copy().digest('hex'));
    expect(LIVE_AUTH_CLIENT_SCRIPT_INTEGRITY).toBe(`sha256-${digest.digest('base64')}`);
  });
});
