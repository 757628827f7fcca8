import { Injectable } from '@nestjs/common';
import { PolicyEngine } from '@livegate/auth';

/** The demo's named policies. */
@Injectable()
export class DemoPolicies {
  constructor(policies: PolicyEngine) {
    policies.addPolicy(
      'CanViewReports',
      (principal) => principal.hasClaim('role', 'editor') || principal.hasClaim('role', 'admin'),
    );
  }
}
