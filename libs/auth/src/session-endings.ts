/**
 * Told when a login flow ends sessions (logout, back-channel logout, a token's revocation), after
 * they were deleted, so that what holds them open elsewhere (the live connections of
 * `@livegate/live-auth`, on every worker) ends at once too. Optional: without one, sessions end
 * for the next request only. A failure here never undoes or fails the logout.
 */
export abstract class SessionEndings {
  abstract sessionsEnded(userId: string, sessionIds: readonly string[]): Promise<void>;
}
