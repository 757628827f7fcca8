/**
 * The local identity provider under load, in a process of its own:
 * `login-server.main.ts <data directory>`. Express, memory state, the SQLite user store, limits
 * high enough never to throttle, `bench0` … `bench49` registered and `bench-disabled` (the same
 * password) disabled, for the failed-login timings. Requests: `rawVerify`
 * (Argon2id verifications with @node-rs/argon2 alone, as many at once as there are cores: the
 * ceiling of logins on this machine), `loopDelayStart` / `loopDelayStop` (the event loop's delay
 * while a load runs).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { verify } from '@node-rs/argon2';
import { AuthModule } from '@livegate/auth';
import { LiveAuthModule, PasswordHasher, UserStore } from '@livegate/live-auth';
import { StateModule } from '@livegate/state';
import { serveBenchRequests } from '../support/bench-process';

const BENCH_PASSWORD = 'correct horse battery staple';
const BENCH_USERS = 50;
const DISABLED_USER = 'bench-disabled';

async function main(): Promise<void> {
  const directory = process.argv[2];
  @Module({
    imports: [
      StateModule.forRoot({ backend: 'memory' }),
      AuthModule.forRoot({
        enabled: true,
        tokenSecret: 'bench-login-secret-of-at-least-32-characters',
        secureCookies: false,
      }),
      LiveAuthModule.forRoot({
        sqlitePath: join(directory, 'users.db'),
        keyring: null,
        localIdp: { limits: { perAccount: 1e9, perAddress: 1e9, windowSeconds: 60 } },
      }),
    ],
  })
  class LoginBenchModule {}

  const app = await NestFactory.create(LoginBenchModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const users = app.get(UserStore);
  const hasher = app.get(PasswordHasher);
  const stored = await hasher.hash(BENCH_PASSWORD);
  for (let index = 0; index < BENCH_USERS; index += 1) {
    await users.createUser({ username: `bench${index}`, passwordHash: stored });
  }
  const disabled = await users.createUser({ username: DISABLED_USER, passwordHash: stored });
  await users.setDisabled(disabled.id, true);
  let histogram: IntervalHistogram | undefined;

  serveBenchRequests(
    {
      type: 'ready',
      port: (app.getHttpServer().address() as AddressInfo).port,
      disabledUser: DISABLED_USER,
    },
    {
      rawVerify: async (message) => {
        const count = Number(message.count);
        const lanes = Math.max(1, availableParallelism());
        let next = 0;
        const started = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: lanes }, async () => {
            while (next < count) {
              next += 1;
              await verify(stored, BENCH_PASSWORD);
            }
          }),
        );
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        return { perSecond: count / seconds, lanes };
      },
      loopDelayStart: () => {
        histogram = monitorEventLoopDelay({ resolution: 10 });
        histogram.enable();
        return {};
      },
      loopDelayStop: () => {
        histogram?.disable();
        const result = {
          p50: (histogram?.percentile(50) ?? 0) / 1e6,
          p99: (histogram?.percentile(99) ?? 0) / 1e6,
          max: (histogram?.max ?? 0) / 1e6,
        };
        histogram = undefined;
        return result;
      },
    },
    () => app.close(),
  );
}

void main();
