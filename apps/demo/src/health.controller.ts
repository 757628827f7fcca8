import { Controller, Get, Header, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Public } from '@livegate/auth';
import { RETRY_AFTER_SECONDS, StateHealthIndicator } from '@livegate/state';

/** What `/health` answers. */
export type HealthBody =
  { status: 'ok'; backend: string } | { status: 'unavailable'; backend: string; message?: string };

/**
 * Readiness for load balancers and orchestrators: 200 while the state backend can be used, 503
 * (with `Retry-After`) while it cannot, for example while Redis is unreachable or hangs.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: StateHealthIndicator,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Public()
  @Get()
  @Header('Cache-Control', 'no-store')
  async check(@Res({ passthrough: true }) response: unknown): Promise<HealthBody> {
    const report = await this.health.check();
    if (report.status === 'up') {
      return { status: 'ok', backend: report.backend };
    }
    const { httpAdapter } = this.adapterHost;
    httpAdapter.status(response, 503);
    httpAdapter.setHeader(response, 'Retry-After', String(RETRY_AFTER_SECONDS.backend_unavailable));
    return { status: 'unavailable', backend: report.backend, message: report.message };
  }
}
