import type { WidgetRecord } from '../widgets/widget.models';
import { WidgetStore } from '../widgets/widget-store';
import {
  DEFAULT_CONTRACT_TTLS,
  SHORT_CONTRACT_TTLS,
  expectTimeWithin,
  expectValidationError,
  sleepUntilPast,
  unchecked,
  useContractSubject,
} from './contract.helpers';
import type { ContractFactory } from './contract.types';
import { sleep, waitFor } from './wait';

/** The behaviour every `WidgetStore` backend must show. */
export function describeWidgetStoreContract(
  backendName: string,
  factory: ContractFactory<WidgetStore>,
): void {
  describe(`WidgetStore contract (${backendName})`, () => {
    describe('with a long TTL', () => {
      const subject = useContractSubject(factory, DEFAULT_CONTRACT_TTLS);
      const ttlMs = DEFAULT_CONTRACT_TTLS.widgetTtl * 1000;

      it('is a WidgetStore', () => {
        expect(subject()).toBeInstanceOf(WidgetStore);
      });

      it('register returns the record and get reads the same record back', async () => {
        const widgets = subject();
        const metadata = { title: 'Chart', nested: { count: 1, list: [1, 'two', null, true] } };
        const before = Date.now();
        const record = await widgets.register('w1', '<div>hi</div>', {
          token: 'token-1',
          ownerWorkerId: 'worker-a',
          metadata,
        });
        const after = Date.now();

        expect(record.widgetId).toBe('w1');
        expect(record.html).toBe('<div>hi</div>');
        expect(record.token).toBe('token-1');
        expect(record.ownerWorkerId).toBe('worker-a');
        expect(record.metadata).toEqual({
          title: 'Chart',
          nested: { count: 1, list: [1, 'two', null, true] },
        });
        expectTimeWithin(record.createdAt, before, after);
        expectTimeWithin(record.updatedAt, before, after);
        expectTimeWithin(record.expiresAt, before + ttlMs, after + ttlMs);

        expect(await widgets.get('w1')).toEqual(record);
        expect(await widgets.getHtml('w1')).toBe('<div>hi</div>');
        expect(await widgets.getToken('w1')).toBe('token-1');
        expect(await widgets.exists('w1')).toBe(true);
        expect(await widgets.count()).toBe(1);
      });

      it('a widget registered without options has no token, no owner and empty metadata', async () => {
        const widgets = subject();
        const record = await widgets.register('w2', '<p></p>');

        expect(record.token).toBeNull();
        expect(record.ownerWorkerId).toBeNull();
        expect(record.metadata).toEqual({});
        expect(await widgets.getToken('w2')).toBeNull();
        expect(await widgets.getHtml('w2')).toBe('<p></p>');
        expect(await widgets.get('w2')).toEqual(record);
      });

      it('reports absent widgets as absent', async () => {
        const widgets = subject();
        await widgets.register('present', '<p></p>');

        expect(await widgets.get('absent')).toBeNull();
        expect(await widgets.getHtml('absent')).toBeNull();
        expect(await widgets.getToken('absent')).toBeNull();
        expect(await widgets.exists('absent')).toBe(false);
        expect(await widgets.exists('present')).toBe(true);
      });

      it('register again replaces the whole widget', async () => {
        const widgets = subject();
        await widgets.register('w1', '<p>v1</p>', {
          token: 'token-1',
          ownerWorkerId: 'worker-a',
          metadata: { version: 1, extra: true },
        });
        const replaced = await widgets.register('w1', '<p>v2</p>', { metadata: { version: 2 } });

        expect(replaced.html).toBe('<p>v2</p>');
        expect(replaced.token).toBeNull();
        expect(replaced.ownerWorkerId).toBeNull();
        expect(replaced.metadata).toEqual({ version: 2 });
        expect(await widgets.get('w1')).toEqual(replaced);
        expect(await widgets.getToken('w1')).toBeNull();
        expect(await widgets.count()).toBe(1);
        expect(await widgets.listActive()).toEqual(['w1']);
      });

      it('delete returns true for a live widget, then false', async () => {
        const widgets = subject();
        await widgets.register('w1', '<p></p>', { token: 'token-1' });
        await widgets.register('w2', '<p></p>');

        expect(await widgets.delete('w1')).toBe(true);
        expect(await widgets.exists('w1')).toBe(false);
        expect(await widgets.get('w1')).toBeNull();
        expect(await widgets.getHtml('w1')).toBeNull();
        expect(await widgets.getToken('w1')).toBeNull();
        expect(await widgets.count()).toBe(1);
        expect(await widgets.listActive()).toEqual(['w2']);
        expect(await widgets.delete('w1')).toBe(false);
        expect(await widgets.delete('never-registered')).toBe(false);
        expect(await widgets.exists('w2')).toBe(true);
      });

      it('listActive lists live widget ids, oldest registration first, and count counts them', async () => {
        const widgets = subject();
        expect(await widgets.listActive()).toEqual([]);
        expect(await widgets.count()).toBe(0);

        // Not in alphabetical order, so that sorting by id cannot pass for registration order.
        await widgets.register('w-c', '<p></p>');
        await sleep(5);
        await widgets.register('w-a', '<p></p>');
        await sleep(5);
        await widgets.register('w-b', '<p></p>');

        expect(await widgets.listActive()).toEqual(['w-c', 'w-a', 'w-b']);
        expect(await widgets.count()).toBe(3);

        await widgets.delete('w-a');
        expect(await widgets.listActive()).toEqual(['w-c', 'w-b']);
        expect(await widgets.count()).toBe(2);
      });

      it('updateHtml and updateToken change a live widget and renew its expiry', async () => {
        const widgets = subject();
        const original = await widgets.register('w1', '<p>v1</p>', {
          token: 'token-1',
          ownerWorkerId: 'worker-a',
          metadata: { keep: 'me' },
        });
        await sleep(20);

        const beforeHtml = Date.now();
        expect(await widgets.updateHtml('w1', '<p>v2</p>')).toBe(true);
        const afterHtml = Date.now();
        const afterHtmlUpdate = (await widgets.get('w1'))!;
        expect(afterHtmlUpdate.html).toBe('<p>v2</p>');
        expect(afterHtmlUpdate.token).toBe('token-1');
        expect(afterHtmlUpdate.ownerWorkerId).toBe('worker-a');
        expect(afterHtmlUpdate.metadata).toEqual({ keep: 'me' });
        expect(afterHtmlUpdate.createdAt).toBe(original.createdAt);
        expect(afterHtmlUpdate.updatedAt).toBeGreaterThan(original.updatedAt);
        expect(afterHtmlUpdate.expiresAt).toBeGreaterThan(original.expiresAt);
        expectTimeWithin(afterHtmlUpdate.expiresAt, beforeHtml + ttlMs, afterHtml + ttlMs);
        expect(await widgets.getHtml('w1')).toBe('<p>v2</p>');

        await sleep(20);
        expect(await widgets.updateToken('w1', 'token-2')).toBe(true);
        const afterTokenUpdate = (await widgets.get('w1'))!;
        expect(afterTokenUpdate.token).toBe('token-2');
        expect(afterTokenUpdate.html).toBe('<p>v2</p>');
        expect(afterTokenUpdate.expiresAt).toBeGreaterThan(afterHtmlUpdate.expiresAt);
        expect(await widgets.getToken('w1')).toBe('token-2');
        expect(await widgets.count()).toBe(1);
      });

      it('updateHtml and updateToken on a missing widget return false and create nothing', async () => {
        const widgets = subject();
        await widgets.register('other', '<p></p>');

        expect(await widgets.updateHtml('ghost', '<p>boo</p>')).toBe(false);
        expect(await widgets.updateToken('ghost', 'token')).toBe(false);
        expect(await widgets.exists('ghost')).toBe(false);
        expect(await widgets.get('ghost')).toBeNull();
        expect(await widgets.getHtml('ghost')).toBeNull();
        expect(await widgets.getToken('ghost')).toBeNull();

        await widgets.register('deleted', '<p></p>');
        await widgets.delete('deleted');
        expect(await widgets.updateHtml('deleted', '<p>again</p>')).toBe(false);
        expect(await widgets.updateToken('deleted', 'token')).toBe(false);
        expect(await widgets.exists('deleted')).toBe(false);
        expect(await widgets.get('deleted')).toBeNull();

        expect(await widgets.count()).toBe(1);
        expect(await widgets.listActive()).toEqual(['other']);
      });

      it('returns copies: changing a returned record or the given metadata changes nothing stored', async () => {
        const widgets = subject();
        const metadata = { nested: { count: 1 }, list: [1] };
        const registered = await widgets.register('w1', '<p>v1</p>', { metadata });

        metadata.nested.count = 42;
        metadata.list.push(42);
        registered.html = 'changed';
        registered.token = 'changed';
        (registered.metadata.nested as { count: number }).count = 99;
        registered.metadata.added = true;

        const fetched = (await widgets.get('w1'))!;
        expect(fetched.html).toBe('<p>v1</p>');
        expect(fetched.token).toBeNull();
        expect(fetched.metadata).toEqual({ nested: { count: 1 }, list: [1] });

        fetched.html = 'changed again';
        (fetched.metadata.list as number[]).push(7);
        const refetched: WidgetRecord = (await widgets.get('w1'))!;
        expect(refetched.html).toBe('<p>v1</p>');
        expect(refetched.metadata).toEqual({ nested: { count: 1 }, list: [1] });
      });

      it('accepts an id of exactly 256 characters and a unicode id', async () => {
        const widgets = subject();
        const longId = 'w'.repeat(256);
        const unicodeId = 'wïdget-✓';

        expect((await widgets.register(longId, '<p>long</p>')).widgetId).toBe(longId);
        expect((await widgets.register(unicodeId, '<p>unicode</p>')).widgetId).toBe(unicodeId);
        expect(await widgets.getHtml(longId)).toBe('<p>long</p>');
        expect(await widgets.getHtml(unicodeId)).toBe('<p>unicode</p>');
        expect(await widgets.exists(unicodeId)).toBe(true);
        expect((await widgets.listActive()).sort()).toEqual([longId, unicodeId].sort());
      });

      it('rejects invalid widget ids with a StateValidationError and changes nothing', async () => {
        const widgets = subject();
        await widgets.register('keep', '<p>keep</p>');
        const badIds = [
          '',
          'w'.repeat(257),
          'line\nbreak',
          'nul\u0000byte',
          ' leading',
          'trailing ',
        ];

        for (const badId of badIds) {
          await expectValidationError(() => widgets.register(badId, '<p></p>'));
        }
        await expectValidationError(() => widgets.get(''));
        await expectValidationError(() => widgets.getHtml(''));
        await expectValidationError(() => widgets.getToken(''));
        await expectValidationError(() => widgets.exists(''));
        await expectValidationError(() => widgets.delete(''));
        await expectValidationError(() => widgets.updateHtml('', '<p></p>'));
        await expectValidationError(() => widgets.updateToken('', 'token'));
        await expectValidationError(() => widgets.register(unchecked<string>(42), '<p></p>'));

        expect(await widgets.count()).toBe(1);
        expect(await widgets.listActive()).toEqual(['keep']);
        expect(await widgets.getHtml('keep')).toBe('<p>keep</p>');
      });

      it('rejects non-string html and metadata that is not a plain object, changing nothing', async () => {
        const widgets = subject();
        await widgets.register('keep', '<p>keep</p>');

        await expectValidationError(() => widgets.register('w-bad', unchecked<string>(42)));
        await expectValidationError(() => widgets.register('w-bad', unchecked<string>(null)));
        for (const metadata of [[], null, 'text', 42]) {
          await expectValidationError(() =>
            widgets.register('w-bad', '<p></p>', {
              metadata: unchecked<Record<string, unknown>>(metadata),
            }),
          );
        }
        await expectValidationError(() => widgets.updateHtml('keep', unchecked<string>(42)));
        await expectValidationError(() => widgets.updateToken('keep', unchecked<string>({})));

        expect(await widgets.count()).toBe(1);
        expect(await widgets.get('w-bad')).toBeNull();
        expect(await widgets.exists('w-bad')).toBe(false);
        expect(await widgets.getHtml('keep')).toBe('<p>keep</p>');
        expect(await widgets.getToken('keep')).toBeNull();
      });
    });

    describe('with a short TTL', () => {
      const subject = useContractSubject(factory, SHORT_CONTRACT_TTLS);
      const ttlMs = SHORT_CONTRACT_TTLS.widgetTtl * 1000;

      it('hides expired widgets from every method, and an update before expiry renews the TTL', async () => {
        const widgets = subject();
        const before = Date.now();
        const a = await widgets.register('w-a', '<p>a</p>', { token: 'token-a' });
        const b = await widgets.register('w-b', '<p>b</p>');
        const c = await widgets.register('w-c', '<p>c</p>', { token: 'token-c' });
        const after = Date.now();
        expectTimeWithin(a.expiresAt, before + ttlMs, after + ttlMs);

        // Halfway through the TTL, renew w-b and w-c; w-a is left to expire.
        await sleep(ttlMs / 2);
        expect(await widgets.updateHtml('w-b', '<p>b2</p>')).toBe(true);
        expect(await widgets.updateToken('w-c', 'token-c2')).toBe(true);
        const renewedB = (await widgets.get('w-b'))!;
        const renewedC = (await widgets.get('w-c'))!;
        expect(renewedB.expiresAt).toBeGreaterThan(b.expiresAt);
        expect(renewedC.expiresAt).toBeGreaterThan(c.expiresAt);

        await waitFor(async () => !(await widgets.exists('w-a')), {
          timeoutMs: ttlMs + 2000,
          description: 'w-a to expire',
        });

        // w-b and w-c outlive their original expiry because the updates renewed them.
        await sleepUntilPast(Math.max(b.expiresAt, c.expiresAt));
        expect(await widgets.exists('w-b')).toBe(true);
        expect(await widgets.exists('w-c')).toBe(true);
        expect(await widgets.getHtml('w-b')).toBe('<p>b2</p>');
        expect(await widgets.getToken('w-c')).toBe('token-c2');

        expect(await widgets.get('w-a')).toBeNull();
        expect(await widgets.getHtml('w-a')).toBeNull();
        expect(await widgets.getToken('w-a')).toBeNull();
        expect((await widgets.listActive()).sort()).toEqual(['w-b', 'w-c']);
        expect(await widgets.count()).toBe(2);

        // Updating an expired widget fails and does not bring it back.
        expect(await widgets.updateHtml('w-a', '<p>a2</p>')).toBe(false);
        expect(await widgets.updateToken('w-a', 'token-a2')).toBe(false);
        expect(await widgets.exists('w-a')).toBe(false);
        expect(await widgets.get('w-a')).toBeNull();
        expect(await widgets.getHtml('w-a')).toBeNull();
        expect(await widgets.count()).toBe(2);
        expect((await widgets.listActive()).sort()).toEqual(['w-b', 'w-c']);
        expect(await widgets.delete('w-a')).toBe(false);
      });
    });
  });
}
