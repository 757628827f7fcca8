import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { ANONYMOUS, ClaimsPrincipal, PolicyEngine, type Claim } from '@livegate/auth';
import { AuthRegions } from './auth-regions';
import { LIVE_PAGES_OPTIONS, LivePages } from './live-pages';

function principal(userId: string, claims: Claim[] = []): ClaimsPrincipal {
  return new ClaimsPrincipal({ isAuthenticated: true, userId, claims });
}

const admin = principal('alice', [
  { type: 'role', value: 'admin' },
  { type: 'email_verified', value: 'true' },
]);
const unverifiedAdmin = principal('bob', [{ type: 'role', value: 'admin' }]);
const viewer = principal('carol', [{ type: 'role', value: 'viewer' }]);

describe('LivePages', () => {
  let policies: PolicyEngine;
  let regions: AuthRegions;
  let pages: LivePages;
  let error: jest.SpyInstance;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    policies = new PolicyEngine().addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] });
    regions = new AuthRegions(policies)
      .define('admin-panel', { policy: 'AdminOnly', allowed: 'admin' })
      .define('greeting', { allowed: 'hello' });
    pages = new LivePages(policies, regions);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('guard', () => {
    it('admits an authenticated principal passing the policy and every claim', async () => {
      pages.define('admin', {
        policy: 'AdminOnly',
        claims: [['email_verified', 'true']],
        regions: ['admin-panel'],
      });
      expect(await pages.guard('admin', admin)).toBe(true);
      expect(await pages.guard('admin', unverifiedAdmin)).toBe(false);
      expect(await pages.guard('admin', viewer)).toBe(false);
      expect(await pages.guard('admin', ANONYMOUS)).toBe(false);
    });

    it('asks only for authentication on a page without policy or claims, or an unknown page', async () => {
      pages.define('home', { regions: ['greeting'] });
      for (const name of ['home', 'unknown', '__proto__']) {
        expect(await pages.guard(name, viewer)).toBe(true);
        expect(await pages.guard(name, ANONYMOUS)).toBe(false);
      }
    });

    it('passes the context to the policy', async () => {
      policies.addPolicy('Owner', (who, context) => context.params?.id === who.userId);
      pages.define('own', { policy: 'Owner', regions: [] });
      expect(await pages.guard('own', viewer, { params: { id: 'carol' } })).toBe(true);
      expect(await pages.guard('own', viewer, { params: { id: 'alice' } })).toBe(false);
    });

    it('fails closed on a missing or failing policy and a failing principal', async () => {
      policies.addPolicy('Throws', () => {
        throw new Error('store down');
      });
      policies.addPolicy('Rejects', () => Promise.reject(new Error('store down')));
      pages
        .define('ghost', { policy: 'NoSuchPolicy', regions: [] })
        .define('throws', { policy: 'Throws', regions: [] })
        .define('rejects', { policy: 'Rejects', regions: [] })
        .define('claims', { claims: [['role', 'admin']], regions: [] });
      for (const name of ['ghost', 'throws', 'rejects']) {
        expect(await pages.guard(name, admin)).toBe(false);
      }
      const hostile = {
        isAuthenticated: true,
        hasClaim: () => {
          throw new Error('bad principal');
        },
      } as unknown as ClaimsPrincipal;
      expect(await pages.guard('claims', hostile)).toBe(false);
      expect(await pages.guard('claims', null as unknown as ClaimsPrincipal)).toBe(false);
      expect(error).toHaveBeenCalled();
    });
  });

  describe('redirects', () => {
    it("is the page's own redirect, or the login redirect", () => {
      pages
        .define('admin', { policy: 'AdminOnly', redirect: '/forbidden?from=admin', regions: [] })
        .define('home', { regions: [] });
      expect(pages.redirectOf('admin')).toBe('/forbidden?from=admin');
      expect(pages.redirectOf('home')).toBe('/login');
      expect(pages.redirectOf('unknown')).toBe('/login');
    });

    it('takes the login redirect from the constructor', () => {
      const custom = new LivePages(policies, regions, { loginRedirect: '/auth/login' });
      custom.define('home', { regions: [] });
      expect(custom.redirectOf('home')).toBe('/auth/login');
      expect(custom.redirectOf('unknown')).toBe('/auth/login');
    });

    it('refuses a redirect that could leave the origin', () => {
      const hostile = [
        '//evil.example',
        '/\\evil.example',
        'https://evil.example',
        'javascript:alert(1)',
        'login',
        '',
        '/\tlogin',
        '/login\n',
        '/a\\b',
        42,
      ];
      for (const redirect of hostile) {
        expect(() => pages.define('page', { redirect: redirect as string, regions: [] })).toThrow(
          TypeError,
        );
        expect(
          () => new LivePages(policies, regions, { loginRedirect: redirect as string }),
        ).toThrow(TypeError);
      }
      expect(pages.get('page')).toBeUndefined();
    });
  });

  describe('define', () => {
    it('keeps a frozen copy of the page', () => {
      const pageRegions = ['admin-panel'];
      pages.define('admin', { policy: 'AdminOnly', regions: pageRegions });
      pageRegions.push('greeting');
      const page = pages.get('admin')!;
      expect(page).toEqual({
        name: 'admin',
        policy: 'AdminOnly',
        claims: [],
        redirect: '/login',
        regions: ['admin-panel'],
      });
      expect(Object.isFrozen(page)).toBe(true);
      expect(Object.isFrozen(page.regions)).toBe(true);
      expect(pages.get('unknown')).toBeUndefined();
    });

    it('needs its regions defined first, each named once', () => {
      expect(() => pages.define('a', { regions: ['nowhere'] })).toThrow(
        /region nowhere is not defined/,
      );
      expect(() => pages.define('b', { regions: ['greeting', 'greeting'] })).toThrow(/twice/);
      expect(() => pages.define('c', { regions: ['bad name'] })).toThrow(/Invalid region name/);
      expect(() => pages.define('d', {} as never)).toThrow(/"regions" must be an array/);
      expect(() => pages.define('e', { policy: '', regions: [] })).toThrow(/policy/);
      expect(() => pages.define('f', { claims: [['']], regions: [] })).toThrow(/claims/);
    });

    it('refuses a name defined twice', () => {
      pages.define('home', { regions: [] });
      expect(() => pages.define('home', { regions: [] })).toThrow(/already defined/);
    });

    it('accepts exactly the names of the rule (property)', () => {
      const isValidName = (name: string) =>
        /^[A-Za-z0-9]$/.test(name.slice(0, 1)) &&
        name.length <= 64 &&
        [...name].every((character) => /^[A-Za-z0-9_-]$/.test(character));
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 80 }),
            fc.string({ unit: fc.constantFrom(...'aZ09_-./ "<>\u0000\u0430'), maxLength: 70 }),
          ),
          (name) => {
            const fresh = new LivePages(policies, regions);
            if (isValidName(name)) {
              expect(() => fresh.define(name, { regions: [] })).not.toThrow();
            } else {
              expect(() => fresh.define(name, { regions: [] })).toThrow(TypeError);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  it('is injectable, with or without options', async () => {
    for (const options of [
      [],
      [{ provide: LIVE_PAGES_OPTIONS, useValue: { loginRedirect: '/in' } }],
    ]) {
      const moduleRef = await Test.createTestingModule({
        providers: [PolicyEngine, AuthRegions, LivePages, ...options],
      }).compile();
      expect(moduleRef.get(LivePages).redirectOf('x')).toBe(options.length ? '/in' : '/login');
      await moduleRef.close();
    }
  });
});
