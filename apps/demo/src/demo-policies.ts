import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PolicyEngine, type ClaimsPrincipal } from '@livegate/auth';
import { AuthRegions, LivePages, html } from '@livegate/live-auth';

/** How long the demo's async policy takes: longer than the live option `regionTimeoutMs`. */
export const SLOW_POLICY_MS = 800;
/** How long a region's async policy may take before the live page shows "authorizing". */
export const DEMO_REGION_TIMEOUT_MS = 200;

/** The regions of the live page, in page order. */
export const LIVE_REGIONS = ['admin-panel', 'beta-panel', 'reports-panel'] as const;

const canViewReports = (principal: ClaimsPrincipal) =>
  principal.hasClaim('role', 'editor') || principal.hasClaim('role', 'admin');

/**
 * The demo's named policies, auth regions and live pages:
 * - `AdminOnly` (the admin role) gates the `admin-panel` region and the `admin` page;
 * - the `beta-panel` region needs the claim `tier=beta`;
 * - `ReportsAccess` is an async policy (it stands for a call to another service and takes
 *   `SLOW_POLICY_MS`), so its `reports-panel` region shows its "authorizing" branch first;
 * - `CanViewReports` guards the `/reports` page.
 */
@Injectable()
export class DemoPolicies implements OnModuleInit {
  constructor(
    private readonly policies: PolicyEngine,
    private readonly regions: AuthRegions,
    private readonly pages: LivePages,
  ) {}

  onModuleInit(): void {
    this.policies
      .addPolicy('CanViewReports', canViewReports)
      .addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] })
      .addPolicy('ReportsAccess', async (principal) => {
        await new Promise((resolve) => setTimeout(resolve, SLOW_POLICY_MS));
        return canViewReports(principal);
      });
    this.regions
      .define('admin-panel', {
        policy: 'AdminOnly',
        allowed: (principal) =>
          html`<h2>Admin panel</h2>
            <p class="admin-panel">
              Only admins see this, ${principal.name}. <a href="/admin">Manage users</a>.
            </p>`,
        denied:
          '<h2>Admin panel</h2><p class="muted">Hidden: it appears here, in every tab, when you hold the admin role.</p>',
      })
      .define('beta-panel', {
        claims: [['tier', 'beta']],
        allowed:
          '<h2>Beta</h2><p class="beta-panel">Beta features are on for you (claim tier=beta).</p>',
        denied: '<h2>Beta</h2><p class="muted">Needs the claim tier=beta: join the beta below.</p>',
      })
      .define('reports-panel', {
        policy: 'ReportsAccess',
        allowed:
          '<h2>Reports</h2><p class="reports-panel">You may view <a href="/reports">reports</a> (an async policy said so).</p>',
        denied:
          '<h2>Reports</h2><p class="muted">Reports need the editor or admin role (an async policy said no).</p>',
        authorizing: '<h2>Reports</h2><p class="authorizing">Checking permissions…</p>',
      });
    this.pages
      .define('live', { regions: [...LIVE_REGIONS] })
      .define('admin', { policy: 'AdminOnly', redirect: '/live', regions: [] });
  }
}
