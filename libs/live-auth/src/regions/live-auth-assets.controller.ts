import { Controller, Get, Headers, Res } from '@nestjs/common';
import { Public, setReplyHeader } from '@livegate/auth';
import { LIVE_AUTH_SCRIPT_PATH } from '../live-auth.protocol';
import { LIVE_AUTH_CLIENT_SCRIPT, LIVE_AUTH_CLIENT_SCRIPT_SHA256 } from './client-script';

/** The parts of an Express response and a Fastify reply used here. */
interface ReplyLike {
  status(code: number): unknown;
}

const ETAG = `"${LIVE_AUTH_CLIENT_SCRIPT_SHA256}"`;

/** Whether an `If-None-Match` header names the script's ETag (weak comparison, as RFC 9110 says). */
function matches(ifNoneMatch: string | undefined): boolean {
  if (!ifNoneMatch) {
    return false;
  }
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === ETAG);
}

/**
 * Serves the live-auth browser script at `LIVE_AUTH_SCRIPT_PATH`, on Express and Fastify. It is
 * public (a login page may show regions too) and the same for everyone. `no-cache` with a strong
 * ETag: a browser revalidates on every load, so a new version of the library is picked up at
 * once, and an unchanged script costs a 304.
 */
@Public()
@Controller()
export class LiveAuthAssetsController {
  @Get(LIVE_AUTH_SCRIPT_PATH)
  script(
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: ReplyLike,
  ): string | undefined {
    setReplyHeader(reply, 'ETag', ETAG);
    setReplyHeader(reply, 'Cache-Control', 'no-cache');
    setReplyHeader(reply, 'X-Content-Type-Options', 'nosniff');
    if (matches(ifNoneMatch)) {
      reply.status(304);
      return undefined;
    }
    setReplyHeader(reply, 'Content-Type', 'text/javascript; charset=utf-8');
    return LIVE_AUTH_CLIENT_SCRIPT;
  }
}
