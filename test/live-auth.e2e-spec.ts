import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveTestModule } from './support/live-app';
import { describeLiveAuthFlows } from './support/live-flows';
import { PLATFORMS, startApp } from './support/platform';

// Live auth in one process on the memory backend: the channel is in-process, the gateway has no
// Redis adapter, and the same flows as across workers hold.

describe.each(PLATFORMS)('live auth in one process on memory, on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livegate-live-'));
    ({ app, base } = await startApp(
      [
        liveTestModule({
          state: { backend: 'memory' },
          auth: {
            enabled: true,
            tokenSecret: 'live-auth-secret-of-at-least-32-characters',
            secureCookies: false,
            adminUsers: ['local:root'],
          },
          liveAuth: { sqlitePath: join(folder, 'users.db'), keyring: null },
        }),
      ],
      platform,
    ));
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  describeLiveAuthFlows(() => ({ a: base, b: base, c: base }));
});
