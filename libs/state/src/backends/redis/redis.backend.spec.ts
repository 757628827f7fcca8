import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { StateModule } from '../../state.module';
import { ConnectionRouter } from '../../connections/connection-router';
import { SessionStore } from '../../sessions/session-store';
import { WidgetStore } from '../../widgets/widget-store';
import { MAX_EVENT_DATA_BYTES, MAX_WIRE_EVENT_BYTES } from '../../events/wire-event';
import { sleep, waitFor } from '../../testing/wait';
import { redisClientOptions } from './redis-connection';
import { RedisEventBus } from './redis-event.bus';
import { RedisSessionStore } from './redis-session.store';
import { useRedisTestServer } from './redis-test.helpers';
import { RedisWidgetStore } from './redis-widget.store';

const redis = useRedisTestServer();
const backend = redis.open;
const keysOf = redis.keysOf;

describe('Redis backend', () => {
  it('uses the reference key layout, with the session id only as a SHA-256 hash', async () => {
    const prefix = 'layout';
    const state = await backend({ redisPrefix: prefix });
    await state.widgets.register('chart-1', '<p>1</p>');
    await state.connections.registerConnection('chart-1', 'worker-a');
    await state.sessions.createSession({ sessionId: 'raw-secret-session-id', userId: 'user-1' });
    await state.chats.saveThread('chart-1', { threadId: 'thread-1' });

    const keys = await keysOf(prefix);
    expect(keys).toEqual(
      expect.arrayContaining([
        'layout:widget:chart-1',
        'layout:widgets:active',
        'layout:conn:chart-1',
        'layout:worker:worker-a:connections',
        'layout:user:user-1:sessions',
        'layout:role_permissions',
        'layout:chat:chart-1:threads',
        'layout:chat:chart-1:thread:thread-1',
      ]),
    );
    const sessionKeys = keys.filter((key) => key.startsWith('layout:session:'));
    expect(sessionKeys).toHaveLength(1);
    expect(sessionKeys[0]).toMatch(/^layout:session:[0-9a-f]{64}$/);
    expect(keys.join('\n')).not.toContain('raw-secret-session-id');
    expect(await redis.admin().zrange('layout:user:user-1:sessions', 0, -1)).not.toContain(
      'raw-secret-session-id',
    );
  });

  it('gives every key a TTL except the role table and chat, which never expire', async () => {
    const prefix = 'ttl';
    const state = await backend({ redisPrefix: prefix });
    await state.widgets.register('w', 'x');
    await state.widgets.updateHtml('w', 'y');
    await state.connections.registerConnection('w', 'worker-a');
    await state.connections.refreshHeartbeat('w');
    await state.sessions.createSession({ sessionId: 's', userId: 'u', ttl: 30 });
    await state.sessions.refreshSession('s', 45);
    for (const key of await keysOf(prefix)) {
      const ttl = await redis.admin().pttl(key);
      if (key === 'ttl:role_permissions' || key.startsWith('ttl:probe:')) {
        continue;
      }
      expect({ key, expires: ttl > 0 }).toEqual({ key, expires: true });
    }
  });

  it('prunes expired members from every index', async () => {
    const prefix = 'prune';
    const state = await backend({
      redisPrefix: prefix,
      widgetTtl: 0.2,
      connectionTtl: 0.2,
      sessionTtl: 0.2,
    });
    await state.widgets.register('w', 'x');
    await state.connections.registerConnection('w', 'worker-a');
    await state.sessions.createSession({ sessionId: 's', userId: 'u' });
    // A second, long-lived session keeps the user's index alive past the first one's expiry.
    await state.sessions.createSession({ sessionId: 'long', userId: 'u', ttl: 60 });
    await sleep(300);
    expect(await state.widgets.count()).toBe(0);
    expect(await state.sessions.listUserSessions('u')).toHaveLength(1);
    expect(await redis.admin().zcard('prune:widgets:active')).toBe(0);
    expect(await redis.admin().zcard('prune:user:u:sessions')).toBe(1);
  });

  it('keeps two prefixes on one Redis apart', async () => {
    const first = await backend({ redisPrefix: 'app-one' });
    const second = await backend({ redisPrefix: 'app-two' });
    await first.widgets.register('shared-id', 'first');
    await first.sessions.createSession({ sessionId: 'sess', userId: 'u' });
    await first.sessions.setRolePermissions('analyst', ['read', 'export']);

    expect(await second.widgets.listActive()).toEqual([]);
    expect(await second.widgets.get('shared-id')).toBeNull();
    expect(await second.sessions.getSession('sess')).toBeNull();
    expect(await second.sessions.getRolePermissions('analyst')).toEqual([]);

    const received: unknown[] = [];
    await second.events.subscribe('news', (event) => {
      received.push(event);
    });
    await first.events.publish('news', { eventType: 'hello' });
    await sleep(100);
    expect(received).toEqual([]);
  });

  it('seeds the role table like the memory backend and keeps custom roles', async () => {
    const state = await backend({ redisPrefix: 'roles' });
    expect(await redis.admin().hgetall('roles:role_permissions')).toEqual({
      admin: JSON.stringify(['admin', 'delete', 'manage_users', 'read', 'write']),
      editor: JSON.stringify(['read', 'write']),
      viewer: JSON.stringify(['read']),
      anonymous: JSON.stringify([]),
    });
    await state.sessions.setRolePermissions('viewer', ['read', 'comment']);
    // A second process seeding the same prefix does not undo the change.
    const other = await backend({ redisPrefix: 'roles', workerId: 'worker-b' });
    expect(await other.sessions.getRolePermissions('viewer')).toEqual(['comment', 'read']);
  });

  it('opens one command connection per pool slot and one subscriber, never one per call', async () => {
    const before = Number(
      (await redis.admin().info('clients')).match(/connected_clients:(\d+)/)![1],
    );
    const state = await backend({ redisPoolSize: 3 });
    await Promise.all(
      Array.from({ length: 50 }, (_, index) => state.widgets.register(`w${index}`, 'x')),
    );
    await state.events.subscribe('c', () => undefined);
    const after = Number(
      (await redis.admin().info('clients')).match(/connected_clients:(\d+)/)![1],
    );
    expect(after - before).toBe(4);
    await state.close();
    await waitFor(async () => {
      const now = Number(
        (await redis.admin().info('clients')).match(/connected_clients:(\d+)/)![1],
      );
      return now === before;
    });
  });

  it('uses an injected client as given and leaves it open on close', async () => {
    const injected = new Redis(redisClientOptions(redis.url()));
    await injected.connect();
    const state = await backend({ redis: injected, redisUrl: 'redis://unused.invalid:1/0' });
    await state.widgets.register('w', 'x');
    expect(await state.widgets.getHtml('w')).toBe('x');
    await state.close();
    expect(injected.status).toBe('ready');
    expect(await injected.ping()).toBe('PONG');
    injected.disconnect();
  });

  it('ignores and counts malformed messages; the subscriber keeps delivering', async () => {
    const state = await backend({ redisPrefix: 'bus' });
    const bus = state.events as RedisEventBus;
    const received: string[] = [];
    await bus.subscribe('updates', (event) => {
      received.push(event.eventType);
    });
    await redis.admin().publish('bus:channel:updates', 'not json');
    await redis.admin().publish('bus:channel:updates', JSON.stringify({ event_type: 'no-fields' }));
    await redis.admin().publish('bus:channel:updates', JSON.stringify([1, 2]));
    await bus.publish('updates', { eventType: 'valid' });
    await waitFor(() => received.length === 1);
    expect(received).toEqual(['valid']);
    expect(bus.stats.malformed).toBe(3);
    expect(bus.stats.delivered).toBe(1);
  });

  it('drops and counts messages over the publisher cap, and data nested past the limit', async () => {
    const state = await backend({ redisPrefix: 'big' });
    const bus = state.events as RedisEventBus;
    const received: { eventType: string; size: number }[] = [];
    await bus.subscribe('updates', (event) => {
      received.push({ eventType: event.eventType, size: JSON.stringify(event.data).length });
    });
    /** A well-formed event, as a foreign publisher could send it, with `data` (JSON) as given. */
    const raw = (eventType: string, data: string) =>
      `{"event_type":${JSON.stringify(eventType)},"widget_id":null,"data":${data},` +
      `"source_worker_id":"elsewhere","target_worker_id":null,"timestamp":${Date.now()},` +
      `"message_id":"m-${eventType}"}`;
    const oversized = raw('too-big', JSON.stringify('x'.repeat(MAX_WIRE_EVENT_BYTES)));
    // Fewer UTF-16 units than the cap, but more bytes of UTF-8.
    const oversizedInBytes = raw(
      'too-big-in-bytes',
      JSON.stringify('é'.repeat(MAX_WIRE_EVENT_BYTES / 2)),
    );
    expect(oversizedInBytes.length).toBeLessThan(MAX_WIRE_EVENT_BYTES);
    const deep = `${'['.repeat(100_000)}"leaf"${']'.repeat(100_000)}`;
    const justTooDeep = `${'{"next":'.repeat(33)}"leaf"${'}'.repeat(33)}`;
    expect(JSON.parse(raw('check', justTooDeep))).toHaveProperty('event_type', 'check');

    for (const message of [oversized, oversizedInBytes]) {
      await redis.admin().publish('big:channel:updates', message);
    }
    await redis.admin().publish('big:channel:updates', raw('too-deep', justTooDeep));
    await redis.admin().publish('big:channel:updates', raw('far-too-deep', deep));
    // The largest data a publisher may send still arrives.
    const largest = 'y'.repeat(MAX_EVENT_DATA_BYTES - 2);
    await bus.publish('updates', { eventType: 'largest', data: largest });
    await waitFor(() => received.length === 1, { timeoutMs: 5000 });
    await bus.publish('updates', { eventType: 'after' });
    await waitFor(() => received.length === 2);

    expect(received).toEqual([
      { eventType: 'largest', size: MAX_EVENT_DATA_BYTES },
      { eventType: 'after', size: 4 },
    ]);
    expect(bus.stats).toEqual({ delivered: 2, malformed: 2, oversized: 2 });
  });

  it('sends events as JSON with the reference field names', async () => {
    const state = await backend({ redisPrefix: 'wire', workerId: 'worker-z' });
    const subscriber = new Redis({ ...redisClientOptions(redis.url()), enableOfflineQueue: true });
    const messages: string[] = [];
    try {
      subscriber.on('message', (_channel: string, message: string) => messages.push(message));
      await subscriber.subscribe('wire:channel:c');
      await state.events.publish('c', {
        eventType: 'update',
        widgetId: 'w',
        data: { n: 1 },
        targetWorkerId: 'worker-b',
      });
      await waitFor(() => messages.length === 1);
    } finally {
      subscriber.disconnect();
    }
    const wire = JSON.parse(messages[0]) as Record<string, unknown>;
    expect(Object.keys(wire).sort()).toEqual([
      'data',
      'event_type',
      'message_id',
      'source_worker_id',
      'target_worker_id',
      'timestamp',
      'widget_id',
    ]);
    expect(wire).toMatchObject({
      event_type: 'update',
      widget_id: 'w',
      data: { n: 1 },
      source_worker_id: 'worker-z',
      target_worker_id: 'worker-b',
    });
  });

  it('leaves no connection behind when the boot fails after connecting', async () => {
    const clientCount = async () =>
      String(await redis.admin().client('LIST'))
        .trim()
        .split('\n').length;
    const before = await clientCount();
    const prefix = 'failed-boot';
    // The active-widget set under the prefix is a string: the boot checks fail with WRONGTYPE.
    await redis.admin().set(`${prefix}:widgets:active`, 'not a sorted set');

    await expect(backend({ redisPrefix: prefix, redisPoolSize: 3 })).rejects.toThrow();
    await waitFor(async () => (await clientCount()) === before, { timeoutMs: 3000 });
    // Still none a second later: no connection was left to reconnect.
    await sleep(1000);
    expect(await clientCount()).toBe(before);
  });

  describe('round trips', () => {
    /** Top-level commands our connection sent while `action` ran (MONITOR, scripts excluded). */
    async function roundTrips(action: () => Promise<unknown>): Promise<string[]> {
      // Once first, so that every script is loaded and the count is the steady state.
      await action();
      const monitor = await redis.admin().monitor();
      const commands: string[] = [];
      try {
        monitor.on('monitor', (_time: string, args: string[], source: string) => {
          if (!source.includes('lua')) {
            commands.push(args[0].toLowerCase());
          }
        });
        await sleep(50);
        await action();
        await sleep(100);
      } finally {
        monitor.disconnect();
      }
      return commands;
    }

    it('costs one round trip per getSession, createSession, checkPermission and register', async () => {
      // Without the session cache: a warm cache costs none (redis-session.cache.spec.ts), and its
      // liveness PINGs would show up in MONITOR.
      const state = await backend({ redisPrefix: 'trips', sessionCacheSize: 0 });
      const sessions = state.sessions as RedisSessionStore;
      const widgets = state.widgets as RedisWidgetStore;
      await sessions.createSession({ sessionId: 'warm', userId: 'u', roles: ['editor'] });

      let created = 0;
      expect(
        await roundTrips(() => sessions.createSession({ sessionId: `s${created++}`, userId: 'u' })),
      ).toEqual(['evalsha']);
      expect(await roundTrips(() => sessions.getSession('warm'))).toEqual(['hgetall']);
      expect(
        await roundTrips(() => sessions.checkPermission('warm', 'widget', 'w', 'write')),
      ).toEqual(['evalsha']);
      expect(await roundTrips(() => widgets.register('w', '<p>x</p>'))).toEqual(['evalsha']);
    });
  });

  describe('in StateModule', () => {
    it('is chosen by LIVEGATE_DEPLOY__STATE_BACKEND=redis with no code change', async () => {
      const saved = { ...process.env };
      process.env.LIVEGATE_DEPLOY__STATE_BACKEND = 'redis';
      process.env.LIVEGATE_DEPLOY__REDIS_URL = redis.url();
      process.env.LIVEGATE_DEPLOY__REDIS_PREFIX = 'module';
      try {
        const moduleRef = await Test.createTestingModule({
          imports: [StateModule.forRoot()],
        }).compile();
        await moduleRef.init();
        expect(moduleRef.get(WidgetStore)).toBeInstanceOf(RedisWidgetStore);
        expect(moduleRef.get(SessionStore)).toBeInstanceOf(RedisSessionStore);
        await moduleRef.get(WidgetStore).register('from-module', 'x');
        expect(await redis.admin().exists('module:widget:from-module')).toBe(1);
        const router = moduleRef.get(ConnectionRouter);
        await moduleRef.close();
        // Closed: calls fail closed instead of hanging.
        await expect(router.getOwner('x')).rejects.toThrow('closed');
      } finally {
        process.env = saved;
      }
    });
  });
});
