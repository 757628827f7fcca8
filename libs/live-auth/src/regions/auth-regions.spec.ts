import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { ANONYMOUS, ClaimsPrincipal, PolicyEngine, type Claim } from '@livegate/auth';
import type { RenderedRegion } from '../live-auth.protocol';
import { AuthRegions } from './auth-regions';
import { html } from './escape-html';
import { LIVE_NAME_PATTERN } from './live-names';

function principal(userId: string, claims: Claim[] = []): ClaimsPrincipal {
  return new ClaimsPrincipal({
    isAuthenticated: true,
    userId,
    name: `<${userId}>`,
    claims: [{ type: 'sub', value: userId }, ...claims],
  });
}

const admin = principal('alice', [
  { type: 'role', value: 'admin' },
  { type: 'tier', value: 'beta' },
]);
const betaViewer = principal('bob', [
  { type: 'role', value: 'viewer' },
  { type: 'tier', value: 'beta' },
]);
const viewer = principal('carol', [{ type: 'role', value: 'viewer' }]);

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Fails instead of hanging when `promise` takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('AuthRegions', () => {
  let policies: PolicyEngine;
  let regions: AuthRegions;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    policies = new PolicyEngine().addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] });
    regions = new AuthRegions(policies);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('rendering', () => {
    it('renders the allowed branch for a principal the policy admits, the denied one otherwise', async () => {
      regions.define('admin-panel', {
        policy: 'AdminOnly',
        allowed: '<p>Admin-only panel.</p>',
        denied: '<p>Request access from an admin.</p>',
      });
      expect(await regions.render('admin-panel', admin)).toEqual({
        state: 'allowed',
        html: '<p>Admin-only panel.</p>',
      });
      for (const other of [viewer, betaViewer, ANONYMOUS]) {
        expect(await regions.render('admin-panel', other)).toEqual({
          state: 'denied',
          html: '<p>Request access from an admin.</p>',
        });
      }
    });

    it('requires every claim of the claims form, with or without a value', async () => {
      regions.define('beta-admin', {
        claims: [
          ['role', 'admin'],
          ['tier', 'beta'],
        ],
        allowed: 'beta admin',
      });
      regions.define('any-tier', { claims: [['tier']], allowed: 'tiered' });
      expect(await regions.render('beta-admin', admin)).toEqual({
        state: 'allowed',
        html: 'beta admin',
      });
      expect(await regions.render('beta-admin', betaViewer)).toEqual({ state: 'denied', html: '' });
      expect(await regions.render('beta-admin', viewer)).toEqual({ state: 'denied', html: '' });
      expect((await regions.render('any-tier', betaViewer)).state).toBe('allowed');
      expect((await regions.render('any-tier', viewer)).state).toBe('denied');
    });

    it('needs both the policy and the claims when a region names both', async () => {
      policies.addPolicy('Beta', { requiresClaim: ['tier', 'beta'] });
      regions.define('both', { policy: 'Beta', claims: [['role', 'admin']], allowed: 'yes' });
      expect((await regions.render('both', admin)).state).toBe('allowed');
      expect((await regions.render('both', betaViewer)).state).toBe('denied');
    });

    it('asks only for an authenticated principal when there is neither policy nor claims', async () => {
      regions.define('signed-in', { allowed: 'hello', denied: 'sign in' });
      expect(await regions.render('signed-in', viewer)).toEqual({
        state: 'allowed',
        html: 'hello',
      });
      expect(await regions.render('signed-in', ANONYMOUS)).toEqual({
        state: 'denied',
        html: 'sign in',
      });
    });

    it('denies an anonymous principal even when the policy would admit anyone', async () => {
      policies.addPolicy('Anyone', () => true);
      regions.define('open', { policy: 'Anyone', allowed: 'open' });
      expect((await regions.render('open', ANONYMOUS)).state).toBe('denied');
      expect((await regions.render('open', viewer)).state).toBe('allowed');
    });

    it('passes the principal to content functions and the context to the policy', async () => {
      const seen: unknown[] = [];
      policies.addPolicy('Owner', (who, context) => {
        seen.push(context.params);
        return context.params?.id === who.userId;
      });
      regions.define('greeting', {
        policy: 'Owner',
        allowed: (who) => html`<p>Hello, ${who.name}</p>`,
        denied: (who) => html`<p>Not yours, ${who.name}</p>`,
      });
      expect(
        await regions.render('greeting', viewer, { context: { params: { id: 'carol' } } }),
      ).toEqual({ state: 'allowed', html: '<p>Hello, &lt;carol&gt;</p>' });
      expect(
        await regions.render('greeting', viewer, { context: { params: { id: 'dave' } } }),
      ).toEqual({ state: 'denied', html: '<p>Not yours, &lt;carol&gt;</p>' });
      expect(seen).toEqual([{ id: 'carol' }, { id: 'dave' }]);
    });
  });

  describe('failing closed', () => {
    it('renders an unknown region as denied and empty, and logs it', async () => {
      expect(await regions.render('nowhere', admin)).toEqual({ state: 'denied', html: '' });
      expect(await regions.render('__proto__', admin)).toEqual({ state: 'denied', html: '' });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('nowhere'));
    });

    it('renders the denied branch when the policy is missing', async () => {
      regions.define('ghost', { policy: 'NoSuchPolicy', allowed: 'secret', denied: 'denied' });
      expect(await regions.render('ghost', admin)).toEqual({ state: 'denied', html: 'denied' });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('NoSuchPolicy'));
    });

    it('renders the denied branch when the policy throws, rejects or answers something other than true', async () => {
      policies.addPolicy('Throws', () => {
        throw new Error('store down');
      });
      policies.addPolicy('Rejects', () => Promise.reject(new Error('store down')));
      policies.addPolicy('Truthy', () => 'yes' as unknown as boolean);
      for (const policy of ['Throws', 'Rejects', 'Truthy']) {
        regions.define(policy.toLowerCase(), { policy, allowed: 'secret', denied: 'denied' });
        expect(await regions.render(policy.toLowerCase(), admin)).toEqual({
          state: 'denied',
          html: 'denied',
        });
      }
      expect(error).toHaveBeenCalled();
    });

    it('renders the denied branch when the allowed content throws or returns no string', async () => {
      regions.define('broken', {
        allowed: () => {
          throw new Error('template bug');
        },
        denied: 'fallback',
      });
      regions.define('not-a-string', {
        allowed: () => 42 as unknown as string,
        denied: 'fallback',
      });
      expect(await regions.render('broken', admin)).toEqual({ state: 'denied', html: 'fallback' });
      expect(await regions.render('not-a-string', admin)).toEqual({
        state: 'denied',
        html: 'fallback',
      });
      expect(error).toHaveBeenCalledWith(expect.stringContaining('template bug'));
    });

    it('renders nothing when the denied content throws too', async () => {
      const fail = () => {
        throw new Error('template bug');
      };
      regions.define('all-broken', { allowed: fail, denied: fail });
      expect(await regions.render('all-broken', admin)).toEqual({ state: 'denied', html: '' });
      expect(await regions.render('all-broken', ANONYMOUS)).toEqual({ state: 'denied', html: '' });
    });

    it('denies a principal whose claim check throws', async () => {
      const hostile = {
        isAuthenticated: true,
        userId: 'x',
        hasClaim: () => {
          throw new Error('bad principal');
        },
      } as unknown as ClaimsPrincipal;
      regions.define('claims-only', { claims: [['role', 'admin']], allowed: 'secret' });
      expect(await regions.render('claims-only', hostile)).toEqual({ state: 'denied', html: '' });
      expect(await regions.render('claims-only', null as unknown as ClaimsPrincipal)).toEqual({
        state: 'denied',
        html: '',
      });
    });
  });

  describe('the authorizing state', () => {
    it('answers authorizing when an async policy is slower than timeoutMs, then reports the answer', async () => {
      const answer = deferred<boolean>();
      policies.addPolicy('Slow', () => answer.promise);
      regions.define('slow', {
        policy: 'Slow',
        authorizing: '<small>Checking permissions…</small>',
        allowed: '<p>Unlocked.</p>',
        denied: '<p>Locked.</p>',
      });
      const settled = deferred<[string, RenderedRegion]>();
      const rendered = await within(
        regions.render('slow', admin, {
          timeoutMs: 5,
          onSettled: (name, final) => settled.resolve([name, final]),
        }),
      );
      expect(rendered).toEqual({
        state: 'authorizing',
        html: '<small>Checking permissions…</small>',
      });
      answer.resolve(true);
      expect(await within(settled.promise)).toEqual([
        'slow',
        { state: 'allowed', html: '<p>Unlocked.</p>' },
      ]);
    });

    it('reports a slow policy that rejects as denied', async () => {
      const answer = deferred<boolean>();
      policies.addPolicy('SlowFailure', () => answer.promise);
      regions.define('slow-failure', {
        policy: 'SlowFailure',
        authorizing: 'checking',
        allowed: 'yes',
        denied: 'no',
      });
      const settled = deferred<RenderedRegion>();
      expect(
        (
          await within(
            regions.render('slow-failure', admin, {
              timeoutMs: 1,
              onSettled: (_, final) => settled.resolve(final),
            }),
          )
        ).state,
      ).toBe('authorizing');
      answer.reject(new Error('timeout upstream'));
      expect(await within(settled.promise)).toEqual({ state: 'denied', html: 'no' });
    });

    it('answers at once when the policy settles in time', async () => {
      policies.addPolicy('Quick', async () => true);
      regions.define('quick', { policy: 'Quick', authorizing: 'checking', allowed: 'yes' });
      const onSettled = jest.fn();
      expect(await regions.render('quick', admin, { timeoutMs: 0, onSettled })).toEqual({
        state: 'allowed',
        html: 'yes',
      });
      expect(onSettled).not.toHaveBeenCalled();
    });

    it('waits for the answer when the region has no authorizing branch', async () => {
      const answer = deferred<boolean>();
      policies.addPolicy('Slow', () => answer.promise);
      regions.define('no-authorizing', { policy: 'Slow', allowed: 'yes', denied: 'no' });
      const rendering = regions.render('no-authorizing', admin, { timeoutMs: 1 });
      setTimeout(() => answer.resolve(true), 20);
      expect(await within(rendering)).toEqual({ state: 'allowed', html: 'yes' });
    });

    it('never answers authorizing without timeoutMs, and refuses a bad timeoutMs', async () => {
      const answer = deferred<boolean>();
      policies.addPolicy('Slow', () => answer.promise);
      regions.define('slow', { policy: 'Slow', authorizing: 'checking', allowed: 'yes' });
      const rendering = regions.render('slow', admin);
      setTimeout(() => answer.resolve(false), 20);
      expect(await within(rendering)).toEqual({ state: 'denied', html: '' });
      for (const timeoutMs of [-1, Number.NaN, Infinity, '5' as unknown as number]) {
        await expect(regions.render('slow', admin, { timeoutMs })).rejects.toThrow(TypeError);
      }
    });

    it('renders the denied branch when the authorizing content throws', async () => {
      const answer = deferred<boolean>();
      policies.addPolicy('Slow', () => answer.promise);
      regions.define('slow', {
        policy: 'Slow',
        authorizing: () => {
          throw new Error('template bug');
        },
        allowed: 'yes',
        denied: 'no',
      });
      expect(await within(regions.render('slow', admin, { timeoutMs: 1 }))).toEqual({
        state: 'denied',
        html: 'no',
      });
      answer.resolve(true);
    });
  });

  describe('renderAll', () => {
    it('evaluates each region on its own, in parallel', async () => {
      const secondStarted = deferred<void>();
      // The first policy can only finish once the second has started: sequential evaluation hangs.
      policies.addPolicy('First', async () => {
        await secondStarted.promise;
        return true;
      });
      policies.addPolicy('Second', () => {
        secondStarted.resolve();
        return true;
      });
      policies.addPolicy('Broken', () => {
        throw new Error('broken');
      });
      regions
        .define('first', { policy: 'First', allowed: 'one' })
        .define('second', { policy: 'Second', allowed: 'two' })
        .define('broken', { policy: 'Broken', allowed: 'three', denied: 'no three' });
      expect(
        await within(regions.renderAll(['first', 'second', 'broken', 'unknown'], admin)),
      ).toEqual({
        first: { state: 'allowed', html: 'one' },
        second: { state: 'allowed', html: 'two' },
        broken: { state: 'denied', html: 'no three' },
        unknown: { state: 'denied', html: '' },
      });
    });

    it('keeps hostile names as own keys, never touching the prototype', async () => {
      const result = await regions.renderAll(['__proto__', 'constructor'], admin);
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      expect(Object.keys(result).sort()).toEqual(['__proto__', 'constructor']);
      expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({
        state: 'denied',
        html: '',
      });
    });
  });

  describe('element', () => {
    it('wraps a rendered region in the element the browser script swaps', () => {
      expect(regions.element('admin-panel', { state: 'allowed', html: '<p>Hi</p>' })).toBe(
        '<div data-auth-region="admin-panel" data-auth-state="allowed"><p>Hi</p></div>',
      );
    });

    it('escapes attribute values, and refuses a state it does not know', () => {
      expect(regions.element('"><script>x</script>', { state: 'denied', html: '' })).toBe(
        '<div data-auth-region="&quot;&gt;&lt;script&gt;x&lt;/script&gt;" data-auth-state="denied"></div>',
      );
      expect(
        regions.element('a', { state: '" onclick="x' as unknown as 'allowed', html: 'secret' }),
      ).toBe('<div data-auth-region="a" data-auth-state="denied"></div>');
    });
  });

  describe('define', () => {
    // The rule for names, written independently of the implementation.
    const isValidName = (name: string) =>
      name.length >= 1 &&
      name.length <= 64 &&
      /^[A-Za-z0-9]$/.test(name[0]) &&
      [...name].every((character) => /^[A-Za-z0-9_-]$/.test(character));

    const hostileNames = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({
        unit: fc.constantFrom(...'aZ09_-.:/\\ "\'<>&=`\u0000\n\u00e9\u0430\u200b'),
        maxLength: 70,
      }),
      fc.constantFrom(
        '',
        '_leading',
        '-leading',
        '__proto__',
        'a'.repeat(65),
        'a b',
        'a"b',
        'a>b',
        'admin\u0000',
        'аdmin', // Cyrillic а
        'admin\u200b',
        'dashboard.panel',
      ),
    );

    it('accepts exactly the names of the rule (property)', () => {
      fc.assert(
        fc.property(hostileNames, (name) => {
          const fresh = new AuthRegions(policies);
          if (isValidName(name)) {
            expect(() => fresh.define(name, { allowed: '' })).not.toThrow();
            expect(LIVE_NAME_PATTERN.test(name)).toBe(true);
          } else {
            expect(() => fresh.define(name, { allowed: '' })).toThrow(TypeError);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('accepts every name made of the allowed characters (property)', () => {
      const validName = fc
        .tuple(
          fc.constantFrom(...'abcXYZ0189'),
          fc.string({ unit: fc.constantFrom(...'abcXYZ0189_-'), maxLength: 63 }),
        )
        .map(([first, rest]) => first + rest);
      fc.assert(
        fc.property(validName, (name) => {
          expect(() => new AuthRegions(policies).define(name, { allowed: '' })).not.toThrow();
        }),
        { numRuns: 300 },
      );
    });

    it('refuses names that are not strings, with a clear message', () => {
      for (const name of [null, undefined, 42, {}, ['a'], Symbol('a')]) {
        expect(() => regions.define(name as unknown as string, { allowed: '' })).toThrow(
          /region name must be a string/,
        );
      }
      expect(() => regions.define('a b', { allowed: '' })).toThrow(/Invalid region name "a b"/);
    });

    it('refuses a name defined twice', () => {
      regions.define('panel', { allowed: 'one' });
      expect(() => regions.define('panel', { allowed: 'two' })).toThrow(/already defined/);
    });

    it('refuses definitions it cannot render', () => {
      const bad: unknown[] = [
        undefined,
        null,
        {},
        { allowed: 42 },
        { allowed: '', denied: {} },
        { allowed: '', authorizing: null },
        { allowed: '', policy: '' },
        { allowed: '', policy: 42 },
        { allowed: '', claims: 'role' },
        { allowed: '', claims: [[]] },
        { allowed: '', claims: [['']] },
        { allowed: '', claims: [['role', 42]] },
        { allowed: '', claims: [['role', 'admin', 'extra']] },
      ];
      bad.forEach((definition, index) => {
        expect(() =>
          regions.define(`bad-${index}`, definition as Parameters<AuthRegions['define']>[1]),
        ).toThrow(TypeError);
      });
      expect(regions.has('bad-0')).toBe(false);
    });

    it('copies the claims, so changing the caller array later changes nothing', async () => {
      const claims: [string, string?][] = [['role', 'admin']];
      regions.define('copied', { claims, allowed: 'yes' });
      claims[0] = ['role', 'viewer'];
      expect((await regions.render('copied', admin)).state).toBe('allowed');
      expect((await regions.render('copied', viewer)).state).toBe('denied');
    });

    it('is injectable with the PolicyEngine', async () => {
      const moduleRef = await Test.createTestingModule({
        providers: [PolicyEngine, AuthRegions],
      }).compile();
      moduleRef.get(PolicyEngine).addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] });
      const injected = moduleRef
        .get(AuthRegions)
        .define('x', { policy: 'AdminOnly', allowed: 'y' });
      expect((await injected.render('x', admin)).state).toBe('allowed');
      await moduleRef.close();
    });
  });
});
