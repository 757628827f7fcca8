import { Injectable, Logger } from '@nestjs/common';
import {
  PolicyEngine,
  type ClaimRequirement,
  type ClaimsPrincipal,
  type PolicyContext,
} from '@livegate/auth';
import type { RegionState, RenderedRegion } from '../live-auth.protocol';
import { parseAuthGate, passesGate, type AuthGate } from './auth-gate';
import { escapeHtml } from './escape-html';
import { assertLiveName } from './live-names';

/**
 * A branch of a region: trusted HTML, or a function of the principal returning trusted HTML.
 * Escape every piece of user data in it (`html`, `escapeHtml`).
 */
export type RegionContent = string | ((principal: ClaimsPrincipal) => string);

/**
 * A region (the seeds' `{$auth}`): who may see `allowed`, and what everyone else sees. Both
 * `policy` and every claim of `claims` must pass; with neither, an authenticated principal is
 * enough. An anonymous principal always gets `denied`.
 */
export interface AuthRegionDefinition {
  /** The name of a `PolicyEngine` policy; a policy missing when the region renders denies. */
  policy?: string;
  /** Claims the principal must all have: `['role', 'admin']`, or `['email_verified']` for any value. */
  claims?: readonly ClaimRequirement[];
  allowed: RegionContent;
  /** Default: empty. */
  denied?: RegionContent;
  /** Shown while a slow async policy has not answered (`timeoutMs`): "Checking permissions…". */
  authorizing?: RegionContent;
}

export interface RenderRegionOptions {
  /**
   * How long to wait for an async policy before answering `authorizing`, in milliseconds. Only
   * for regions with an `authorizing` branch; the others always wait for the answer.
   */
  timeoutMs?: number;
  /** Passed to the policy (the request or the socket). */
  context?: PolicyContext;
  /**
   * Called with the final rendering of a region that was answered `authorizing`, once its policy
   * settles, so that the caller can push it (the policy is not evaluated a second time).
   */
  onSettled?: (name: string, rendered: RenderedRegion) => void;
}

interface Region extends AuthGate {
  readonly allowed: RegionContent;
  readonly denied?: RegionContent;
  readonly authorizing?: RegionContent;
}

const PENDING = Symbol('pending');
const STATES: readonly RegionState[] = ['allowed', 'denied', 'authorizing'];

function assertContent(name: string, branch: string, content: unknown, required: boolean): void {
  if (content === undefined && !required) {
    return;
  }
  if (typeof content !== 'string' && typeof content !== 'function') {
    throw new TypeError(
      `Region ${name}: "${branch}" must be an HTML string or a function of the principal`,
    );
  }
}

/**
 * The server-side registry of auth regions (the seeds' `{$auth}`): named pieces of HTML gated by
 * a policy or claims, rendered for one principal when a page is served and again on every live
 * update. The client only ever receives the branch the server chose. Rendering fails closed: an
 * unknown region, a missing or failing policy, or a failing `allowed` branch renders `denied`
 * (and a failing `denied` branch renders nothing).
 */
@Injectable()
export class AuthRegions {
  private readonly logger = new Logger(AuthRegions.name);
  private readonly regions = new Map<string, Region>();

  constructor(private readonly policies: PolicyEngine) {}

  /** Declares a region; names are unique (`LIVE_NAME_PATTERN`). Throws a `TypeError` on bad input. */
  define(name: string, definition: AuthRegionDefinition): this {
    assertLiveName('region', name);
    if (this.regions.has(name)) {
      throw new TypeError(`Region ${name} is already defined`);
    }
    if (typeof definition !== 'object' || definition === null) {
      throw new TypeError(`Region ${name} needs a definition with an "allowed" branch`);
    }
    const { allowed, denied, authorizing } = definition;
    const gate = parseAuthGate(`Region ${name}`, definition);
    assertContent(name, 'allowed', allowed, true);
    assertContent(name, 'denied', denied, false);
    assertContent(name, 'authorizing', authorizing, false);
    this.regions.set(
      name,
      Object.freeze({
        ...gate,
        allowed,
        denied,
        authorizing,
      }),
    );
    return this;
  }

  has(name: string): boolean {
    return this.regions.has(name);
  }

  /**
   * The region for this principal: `allowed`, `denied`, or (with `timeoutMs`, when the policy is
   * slow and the region has one) `authorizing`. Never rejects for a policy or content failure;
   * rejects with a `TypeError` only for a bad `timeoutMs`.
   */
  async render(
    name: string,
    principal: ClaimsPrincipal,
    options: RenderRegionOptions = {},
  ): Promise<RenderedRegion> {
    const { timeoutMs } = options;
    if (
      timeoutMs !== undefined &&
      (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0)
    ) {
      throw new TypeError('timeoutMs must be a non-negative number of milliseconds');
    }
    const region = typeof name === 'string' ? this.regions.get(name) : undefined;
    if (!region) {
      this.logger.warn(`Region ${String(name).slice(0, 80)} is not defined: denied`);
      return { state: 'denied', html: '' };
    }
    const decision = this.decide(name, region, principal, options.context);
    if (timeoutMs === undefined || region.authorizing === undefined) {
      return this.branch(name, region, await decision, principal);
    }
    let timer: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      decision,
      new Promise<typeof PENDING>((resolve) => {
        timer = setTimeout(() => resolve(PENDING), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (early !== PENDING) {
      return this.branch(name, region, early, principal);
    }
    const { onSettled } = options;
    if (onSettled) {
      void decision.then((allowed) => {
        try {
          onSettled(name, this.branch(name, region, allowed, principal));
        } catch (error) {
          this.logger.error(`onSettled of region ${name} failed: ${String(error)}`);
        }
      });
    }
    const html = this.content(name, 'authorizing', region.authorizing, principal);
    return html === undefined
      ? this.branch(name, region, false, principal)
      : { state: 'authorizing', html };
  }

  /** Several regions for one principal, each evaluated on its own and all at once. */
  async renderAll(
    names: readonly string[],
    principal: ClaimsPrincipal,
    options: RenderRegionOptions = {},
  ): Promise<Record<string, RenderedRegion>> {
    const unique = [...new Set(names)];
    const rendered = await Promise.all(unique.map((name) => this.render(name, principal, options)));
    // fromEntries defines own properties: no key can reach the prototype.
    return Object.fromEntries(unique.map((name, index) => [name, rendered[index]]));
  }

  /**
   * The element a page template embeds for a region, which the browser script finds and swaps:
   * `<div data-auth-region="name" data-auth-state="state">html</div>`. Attribute values are
   * escaped; `rendered.html` is trusted HTML from `render`.
   */
  element(name: string, rendered: RenderedRegion): string {
    const state = STATES.includes(rendered.state) ? rendered.state : 'denied';
    const inner = state === rendered.state ? rendered.html : '';
    return `<div data-auth-region="${escapeHtml(name)}" data-auth-state="${state}">${inner}</div>`;
  }

  /** Whether the principal passes the region's claims and policy; `false` on any failure. */
  private async decide(
    name: string,
    region: Region,
    principal: ClaimsPrincipal,
    context: PolicyContext = {},
  ): Promise<boolean> {
    return passesGate(`Region ${name}`, region, principal, this.policies, context, this.logger);
  }

  private branch(
    name: string,
    region: Region,
    allowed: boolean,
    principal: ClaimsPrincipal,
  ): RenderedRegion {
    if (allowed) {
      const html = this.content(name, 'allowed', region.allowed, principal);
      if (html !== undefined) {
        return { state: 'allowed', html };
      }
    }
    const html =
      region.denied === undefined ? '' : this.content(name, 'denied', region.denied, principal);
    return { state: 'denied', html: html ?? '' };
  }

  /** A branch's HTML, or `undefined` when its function throws or returns something else. */
  private content(
    name: string,
    branch: RegionState,
    content: RegionContent | undefined,
    principal: ClaimsPrincipal,
  ): string | undefined {
    if (typeof content === 'string') {
      return content;
    }
    try {
      const html = content?.(principal);
      if (typeof html === 'string') {
        return html;
      }
      this.logger.error(`Region ${name}: the ${branch} branch returned no string`);
    } catch (error) {
      this.logger.error(`Region ${name}: the ${branch} branch failed: ${String(error)}`);
    }
    return undefined;
  }
}
