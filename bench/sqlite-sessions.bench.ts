/**
 * Session read and write latency on the SQLite backend, on an encrypted (SQLCipher) file in a
 * temporary directory. Run with `npm run bench:sqlite`; SESSIONS sets how many sessions are
 * written and read (default 20,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { createSqliteBackend } from '@livegate/state';

const SESSIONS = Number(process.env.SESSIONS ?? 20_000);
const WARM_UP = 1_000;

interface Summary {
  operation: string;
  count: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function summarize(operation: string, nanoseconds: bigint[]): Summary {
  const micros = nanoseconds.map((value) => Number(value) / 1000).sort((a, b) => a - b);
  const at = (quantile: number) =>
    micros[Math.min(micros.length - 1, Math.ceil(quantile * micros.length) - 1)];
  return {
    operation,
    count: micros.length,
    p50: at(0.5),
    p99: at(0.99),
    mean: micros.reduce((sum, value) => sum + value, 0) / micros.length,
    max: micros[micros.length - 1],
  };
}

async function timeEach(count: number, operation: (index: number) => Promise<unknown>) {
  const samples: bigint[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = process.hrtime.bigint();
    await operation(index);
    samples.push(process.hrtime.bigint() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  Logger.overrideLogger(['warn', 'error']);
  const directory = mkdtempSync(join(tmpdir(), 'livegate-bench-'));
  const backend = await createSqliteBackend({
    sqlitePath: join(directory, 'bench.db'),
    keyring: null,
    widgetTtl: 3600,
    connectionTtl: 300,
    sessionTtl: 3600,
    workerId: 'bench',
    sweepInterval: 3600,
  });
  try {
    if (!backend.database.encrypted) {
      throw new Error('the benchmark must run on an encrypted database');
    }
    const sessions = backend.sessions;
    const input = (index: number) => ({
      userId: `user-${index % 500}`,
      roles: ['editor'],
      metadata: { permissions: { [`widget:w-${index}`]: ['write'] }, theme: 'dark' },
    });

    const warmIds: string[] = [];
    for (let index = 0; index < WARM_UP; index += 1) {
      warmIds.push((await sessions.createSession(input(index))).sessionId);
    }
    for (const id of warmIds) {
      await sessions.getSession(id);
    }

    const ids: string[] = [];
    const writes = await timeEach(SESSIONS, async (index) => {
      ids.push((await sessions.createSession(input(index))).sessionId);
    });
    // Reads in a shuffled order, so that no read follows its own write.
    const order = ids.map((_, index) => index).sort(() => Math.random() - 0.5);
    const reads = await timeEach(SESSIONS, (index) => sessions.getSession(ids[order[index]]));
    const checks = await timeEach(SESSIONS, (index) =>
      sessions.checkPermission(ids[order[index]], 'widget', `w-${order[index]}`, 'write'),
    );
    const missing = await timeEach(SESSIONS, (index) => sessions.getSession(`missing-${index}`));

    const rows = [
      summarize('createSession (write)', writes),
      summarize('getSession (read)', reads),
      summarize('checkPermission', checks),
      summarize('getSession (unknown id)', missing),
    ];
    const format = (value: number) => value.toFixed(1).padStart(9);
    const lines = [
      `SQLite sessions, SQLCipher-encrypted WAL file, ${SESSIONS} operations each (µs)`,
      `${'operation'.padEnd(26)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'mean'.padStart(9)}${'max'.padStart(9)}`,
      ...rows.map(
        (row) =>
          `${row.operation.padEnd(26)}${format(row.p50)}${format(row.p99)}${format(row.mean)}${format(row.max)}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await backend.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
  process.exitCode = 1;
});
