import {
  Controller,
  HttpCode,
  Injectable,
  Post,
  Req,
  UnauthorizedException,
  ForbiddenException,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RedisStore } from 'connect-redis';
import type { Request } from 'express';
import session from 'express-session';
import passport from 'passport';
import { createClient } from 'redis';
import { PEER_ROLES_KEY } from './items.controllers';

/** The user the peer keeps in its session, roles included, so that no lookup follows. */
interface PeerUser {
  id: string;
  roles: string[];
}

const PEER_USER: PeerUser = { id: 'bench-user', roles: ['admin'] };

/** Signs the peer's session cookie; only this benchmark sees it. */
const PEER_COOKIE_SECRET = 'livegate-bench-peer-cookie-secret-0123456789';

/**
 * The stack Nest apps assemble today: express-session with connect-redis on node-redis, and
 * passport's session strategy, configured as their READMEs recommend (no resave, no empty sessions).
 */
export async function usePeerSession(
  app: INestApplication,
  redisUrl: string,
): Promise<() => Promise<void>> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: PeerUser, done) => done(null, user));
  app.use(
    session({
      store: new RedisStore({ client, prefix: 'peer:sess:' }),
      secret: PEER_COOKIE_SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 86_400_000 },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  return async () => {
    await client.quit();
  };
}

/** Logs the benchmark user in: the peer's session cookie comes back in `Set-Cookie`. */
@Controller()
export class PeerLoginController {
  @Post('login')
  @HttpCode(204)
  async login(@Req() request: Request): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      request.login(PEER_USER, (error?: unknown) => (error ? reject(error) : resolve())),
    );
  }
}

/** The role guard a passport app writes: 401 without a user, 403 without a role. */
@Injectable()
export class PeerRolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(PEER_ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles) {
      return true;
    }
    const user = context.switchToHttp().getRequest<Request>().user as PeerUser | undefined;
    if (!user) {
      throw new UnauthorizedException();
    }
    if (!roles.some((role) => user.roles.includes(role))) {
      throw new ForbiddenException();
    }
    return true;
  }
}
