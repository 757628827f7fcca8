import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { MemoryChatStore } from './backends/memory/memory-chat.store';
import { MemoryConnectionRouter } from './backends/memory/memory-connection.router';
import { MemoryEventBus } from './backends/memory/memory-event.bus';
import { MemorySessionStore } from './backends/memory/memory-session.store';
import { MemoryWidgetStore } from './backends/memory/memory-widget.store';
import { createStateBackend } from './backends/create-state-backend';
import { SqliteChatStore } from './backends/sqlite/sqlite-chat.store';
import { SqliteSessionStore } from './backends/sqlite/sqlite-session.store';
import { SqliteWidgetStore } from './backends/sqlite/sqlite-widget.store';
import { CallbackRegistry } from './callbacks/callback-registry';
import { resolveStateOptions } from './config/state.config';
import { STATE_OPTIONS } from './state.constants';
import { StateConfigurationError } from './state.errors';
import { StateModule } from './state.module';
import type { ResolvedStateOptions } from './state.options';
import { StateService } from './state.service';
import { ChatStore } from './chat/chat-store';
import { ConnectionRouter } from './connections/connection-router';
import { EventBus } from './events/event-bus';
import { SessionStore } from './sessions/session-store';
import { WidgetStore } from './widgets/widget-store';

const ENV_KEYS = [
  'STATE_BACKEND',
  'SESSION_TTL',
  'WIDGET_TTL',
  'WORKER_ID',
  'SQLITE_PATH',
  'SQLITE_KEY',
  'SQLITE_ENCRYPTED',
].map((name) => `LIVEGATE_DEPLOY__${name}`);

describe('StateModule', () => {
  const saved: Record<string, string | undefined> = {};

  beforeEach(() => {
    for (const key of ENV_KEYS) {
      saved[key] = process.env[key];
      delete process.env[key];
    }
  });

  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = saved[key];
      }
    }
  });

  it('provides every store by type on the memory backend with no options', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StateModule.forRoot()],
    }).compile();
    await moduleRef.init();
    expect(moduleRef.get(WidgetStore)).toBeInstanceOf(MemoryWidgetStore);
    expect(moduleRef.get(EventBus)).toBeInstanceOf(MemoryEventBus);
    expect(moduleRef.get(ConnectionRouter)).toBeInstanceOf(MemoryConnectionRouter);
    expect(moduleRef.get(SessionStore)).toBeInstanceOf(MemorySessionStore);
    expect(moduleRef.get(ChatStore)).toBeInstanceOf(MemoryChatStore);
    expect(moduleRef.get(CallbackRegistry)).toBeInstanceOf(CallbackRegistry);
    expect(moduleRef.get(StateService)).toBeInstanceOf(StateService);
    expect(moduleRef.get<ResolvedStateOptions>(STATE_OPTIONS).backend).toBe('memory');
    await moduleRef.close();
  });

  it('reads LIVEGATE_DEPLOY__* when no options are given', async () => {
    process.env.LIVEGATE_DEPLOY__SESSION_TTL = '120';
    process.env.LIVEGATE_DEPLOY__WORKER_ID = 'env-worker';
    const moduleRef = await Test.createTestingModule({
      imports: [StateModule.forRoot()],
    }).compile();
    const options = moduleRef.get<ResolvedStateOptions>(STATE_OPTIONS);
    expect(options.sessionTtl).toBe(120);
    expect(moduleRef.get(StateService).workerId).toBe('env-worker');
    const session = await moduleRef.get(SessionStore).createSession({ userId: 'u' });
    expect(session.ttl).toBe(120);
    await moduleRef.close();
  });

  it('stops the boot on an invalid variable, naming it', async () => {
    process.env.LIVEGATE_DEPLOY__SESSION_TTL = 'forever';
    const compile = Test.createTestingModule({ imports: [StateModule.forRoot()] }).compile();
    await expect(compile).rejects.toThrow(StateConfigurationError);
    await expect(
      Test.createTestingModule({ imports: [StateModule.forRoot()] }).compile(),
    ).rejects.toThrow('LIVEGATE_DEPLOY__SESSION_TTL="forever"');
  });

  describe('on the sqlite backend', () => {
    let directory: string;

    beforeEach(() => {
      directory = mkdtempSync(join(tmpdir(), 'livegate-module-'));
    });

    afterEach(() => {
      rmSync(directory, { recursive: true, force: true });
    });

    it('provides the SQLite stores, with in-process events and connections', async () => {
      const sqlitePath = join(directory, 'state.db');
      const moduleRef = await Test.createTestingModule({
        imports: [
          StateModule.forRoot({
            backend: 'sqlite',
            sqlitePath,
            sqliteKey: `x'${'ab'.repeat(32)}'`,
          }),
        ],
      }).compile();
      await moduleRef.init();
      expect(moduleRef.get(WidgetStore)).toBeInstanceOf(SqliteWidgetStore);
      expect(moduleRef.get(SessionStore)).toBeInstanceOf(SqliteSessionStore);
      expect(moduleRef.get(ChatStore)).toBeInstanceOf(SqliteChatStore);
      expect(moduleRef.get(EventBus)).toBeInstanceOf(MemoryEventBus);
      expect(moduleRef.get(ConnectionRouter)).toBeInstanceOf(MemoryConnectionRouter);
      expect(moduleRef.get<ResolvedStateOptions>(STATE_OPTIONS).backend).toBe('sqlite');
      const session = await moduleRef.get(StateService).createSession({ userId: 'u' });
      expect((await moduleRef.get(SessionStore).getSession(session.sessionId))!.userId).toBe('u');
      await moduleRef.close();

      // Closed with the module: the stores now fail instead of writing.
      await expect(moduleRef.get(WidgetStore).count()).rejects.toThrow('closed');
      expect(existsSync(sqlitePath)).toBe(true);
    });

    it('is chosen by LIVEGATE_DEPLOY__STATE_BACKEND, with SQLITE_PATH and SQLITE_KEY', async () => {
      process.env.LIVEGATE_DEPLOY__STATE_BACKEND = 'sqlite';
      process.env.LIVEGATE_DEPLOY__SQLITE_PATH = join(directory, 'env.db');
      process.env.LIVEGATE_DEPLOY__SQLITE_KEY = `x'${'cd'.repeat(32)}'`;
      const moduleRef = await Test.createTestingModule({
        imports: [StateModule.forRoot()],
      }).compile();
      expect(moduleRef.get(WidgetStore)).toBeInstanceOf(SqliteWidgetStore);
      await moduleRef.close();
      expect(existsSync(join(directory, 'env.db'))).toBe(true);
    });

    it('stops the boot, instead of falling back to memory, when the database cannot be opened', async () => {
      const sqlitePath = join(directory, 'state.db');
      const first = await Test.createTestingModule({
        imports: [StateModule.forRoot({ backend: 'sqlite', sqlitePath, sqliteKey: 'right' })],
      }).compile();
      await first.close();

      await expect(
        Test.createTestingModule({
          imports: [StateModule.forRoot({ backend: 'sqlite', sqlitePath, sqliteKey: 'wrong' })],
        }).compile(),
      ).rejects.toThrow(StateConfigurationError);
    });
  });

  it('refuses a backend it does not have, instead of falling back to memory', async () => {
    const options = resolveStateOptions({ workerId: 'w' }, {});
    await expect(
      createStateBackend({ ...options, backend: 'postgres' as 'memory' }),
    ).rejects.toThrow("The 'postgres' state backend is not available");
  });

  it('lets explicit options win over the environment', async () => {
    process.env.LIVEGATE_DEPLOY__STATE_BACKEND = 'redis';
    const moduleRef = await Test.createTestingModule({
      imports: [StateModule.forRoot({ backend: 'memory', workerId: 'explicit' })],
    }).compile();
    expect(moduleRef.get(StateService).workerId).toBe('explicit');
    await moduleRef.close();
  });

  it('takes options from forRootAsync with injected dependencies', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StateModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ ttl: 42 })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            widgetTtl: config.getOrThrow<number>('ttl'),
            workerId: 'async-worker',
          }),
        }),
      ],
    }).compile();
    const widget = await moduleRef.get(WidgetStore).register('w', '<p>hi</p>');
    expect(widget.expiresAt - widget.createdAt).toBe(42_000);
    expect(moduleRef.get(StateService).workerId).toBe('async-worker');
    await moduleRef.close();
  });

  it('is visible to other modules when global', async () => {
    @Injectable()
    class Consumer {
      constructor(readonly sessions: SessionStore) {}
    }
    @Module({ providers: [Consumer] })
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [StateModule.forRoot({ isGlobal: true }), FeatureModule],
    }).compile();
    expect(moduleRef.get(Consumer).sessions).toBeInstanceOf(MemorySessionStore);
    await moduleRef.close();
  });

  it("unregisters this worker's connections and stops the backend on shutdown", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StateModule.forRoot({ workerId: 'w1' })],
    }).compile();
    await moduleRef.init();
    const state = moduleRef.get(StateService);
    const router = moduleRef.get(ConnectionRouter);
    await state.registerConnection('mine');
    await router.registerConnection('theirs', 'w2');
    const clear = jest.spyOn(global, 'clearInterval');

    await moduleRef.close();

    expect(await router.listWorkerConnections('w1')).toEqual([]);
    expect(await router.getOwner('theirs')).toBe('w2');
    expect(clear).toHaveBeenCalled();
    clear.mockRestore();
  });
});
