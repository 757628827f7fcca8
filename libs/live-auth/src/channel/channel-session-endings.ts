import { Injectable } from '@nestjs/common';
import { SessionEndings } from '@livegate/auth';
import { AuthChannel } from './auth-channel';

/**
 * Sessions ended by a login flow (OAuth logout, back-channel logout, the local identity
 * provider's token revocation) end their live connections on every worker: a `revoke` event for
 * exactly those sessions.
 */
@Injectable()
export class ChannelSessionEndings extends SessionEndings {
  constructor(private readonly channel: AuthChannel) {
    super();
  }

  async sessionsEnded(userId: string, sessionIds: readonly string[]): Promise<void> {
    await this.channel.revoke(userId, { sessionIds });
  }
}
