import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  PolicyEngine,
  type ClaimRequirement,
  type ClaimsPrincipal,
  type PolicyContext,
} from '@livegate/auth';
import { safeReturnPath } from '@livegate/oauth';
import { AuthRegions } from './auth-regions';
import { parseAuthGate, passesGate } from './auth-gate';
import { assertLiveName } from './live-names';

/** A page a live socket can show (the seeds' `!auth` page directive, kept for the live socket). */
export interface LivePageDefinition {
  /** A `PolicyEngine` policy the principal must pass. */
  policy?: string;
  /** Claims the principal must all have. */
  claims?: readonly ClaimRequirement[];
  /** Where a principal that no longer passes goes (a same-origin path). Default: the login redirect. */
  redirect?: string;
  /** The auth regions the page shows, re-rendered on every update. Each must already be defined. */
  regions: readonly string[];
}

/** A registered page, as `get` returns it (frozen). */
export interface LivePage {
  readonly name: string;
  readonly policy?: string;
  readonly claims: readonly ClaimRequirement[];
  readonly redirect: string;
  readonly regions: readonly string[];
}

export interface LivePagesOptions {
  /** The default redirect of pages that name none. Default: `/login`. */
  loginRedirect?: string;
}

/** Injection token of `LivePagesOptions` (optional). */
export const LIVE_PAGES_OPTIONS = Symbol('LIVE_PAGES_OPTIONS');

const DEFAULT_LOGIN_REDIRECT = '/login';

/** Throws unless `path` is a same-origin path that `safeReturnPath` keeps as it is. */
function assertLocalPath(what: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || safeReturnPath(path) !== path) {
    throw new TypeError(
      `${what} must be a same-origin path starting with one "/" (got ${JSON.stringify(path)})`,
    );
  }
}

/**
 * The live pages: what a socket's handshake may name as its page, who may keep showing it, where
 * someone who may not goes, and which regions to re-render for it. A page's regions are checked
 * when the page is defined (a typo stops the boot instead of rendering an empty region), so
 * define regions before the pages that show them.
 */
@Injectable()
export class LivePages {
  private readonly logger = new Logger(LivePages.name);
  private readonly pages = new Map<string, LivePage>();
  private readonly loginRedirect: string;

  constructor(
    private readonly policies: PolicyEngine,
    private readonly regions: AuthRegions,
    @Optional() @Inject(LIVE_PAGES_OPTIONS) options: LivePagesOptions = {},
  ) {
    const loginRedirect = options?.loginRedirect ?? DEFAULT_LOGIN_REDIRECT;
    assertLocalPath('The login redirect', loginRedirect);
    this.loginRedirect = loginRedirect;
  }

  /** Declares a page; names are unique (`LIVE_NAME_PATTERN`). Throws a `TypeError` on bad input. */
  define(name: string, definition: LivePageDefinition): this {
    assertLiveName('page', name);
    if (this.pages.has(name)) {
      throw new TypeError(`Page ${name} is already defined`);
    }
    if (typeof definition !== 'object' || definition === null) {
      throw new TypeError(`Page ${name} needs a definition with its regions`);
    }
    const { redirect, regions } = definition;
    const gate = parseAuthGate(`Page ${name}`, definition);
    if (redirect !== undefined) {
      assertLocalPath(`Page ${name}: "redirect"`, redirect);
    }
    if (!Array.isArray(regions)) {
      throw new TypeError(`Page ${name}: "regions" must be an array of region names`);
    }
    for (const region of regions) {
      assertLiveName('region', region);
      if (!this.regions.has(region)) {
        throw new TypeError(`Page ${name}: region ${region} is not defined (define it first)`);
      }
    }
    if (new Set(regions).size !== regions.length) {
      throw new TypeError(`Page ${name}: "regions" names a region twice`);
    }
    this.pages.set(
      name,
      Object.freeze({
        name,
        ...gate,
        redirect: redirect ?? this.loginRedirect,
        regions: Object.freeze([...regions]),
      }),
    );
    return this;
  }

  get(name: string): LivePage | undefined {
    return this.pages.get(name);
  }

  /**
   * Whether the principal may keep showing the page: authenticated, and passing its claims and
   * policy. An unknown page only needs an authenticated principal (it has no regions to show).
   * `false` on any failure.
   */
  async guard(
    name: string,
    principal: ClaimsPrincipal,
    context: PolicyContext = {},
  ): Promise<boolean> {
    const page = typeof name === 'string' ? this.pages.get(name) : undefined;
    if (!page) {
      return principal?.isAuthenticated === true;
    }
    return passesGate(`Page ${name}`, page, principal, this.policies, context, this.logger);
  }

  /** Where to send a principal the page no longer admits: its redirect, or the login redirect. */
  redirectOf(name: string): string {
    return this.pages.get(name)?.redirect ?? this.loginRedirect;
  }
}
