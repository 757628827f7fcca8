import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { retryAfterSeconds, StateService } from '@livegate/state';

export const DEMO_WIDGET_ID = 'hello-livegate';

/** Wait before the first retry; every next retry waits twice as long, up to the maximum. */
export const SEED_FIRST_RETRY_MS = 250;
export const SEED_MAX_RETRY_MS = 5000;
/** Attempts before seeding gives up: about ten minutes of retries at the longest wait. */
export const SEED_MAX_ATTEMPTS = 125;

const DEMO_WIDGET_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from Livegate</title></head>
<body>
<h1>Hello from Livegate</h1>
<p>This widget was registered in the state store when the demo started.</p>
<p><a href="/">All widgets</a></p>
</body>
</html>
`;

/**
 * Registers the demo widget when the app starts. A state backend that is away (Redis not up yet)
 * does not stop the boot: the registration is retried with a growing wait until the backend
 * answers, and logged once when it starts waiting and once when it is done.
 */
@Injectable()
export class DemoWidgets implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DemoWidgets.name);
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly state: StateService) {}

  async onApplicationBootstrap(): Promise<void> {
    // The first attempt is awaited, so that a reachable backend has the widget before the app
    // serves; a failed one never throws out of the boot.
    await this.seed(1, SEED_FIRST_RETRY_MS);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  private async seed(attempt: number, wait: number): Promise<void> {
    if (this.stopped) {
      return;
    }
    try {
      await this.state.registerWidget(DEMO_WIDGET_ID, DEMO_WIDGET_HTML, {
        metadata: { title: 'Hello from Livegate' },
      });
      if (attempt > 1) {
        this.logger.log(`Demo widget ${DEMO_WIDGET_ID} registered (attempt ${attempt})`);
      }
      return;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (retryAfterSeconds(error) === undefined) {
        this.logger.error(`Demo widget ${DEMO_WIDGET_ID} not registered: ${message}`);
        return;
      }
      if (attempt >= SEED_MAX_ATTEMPTS) {
        this.logger.error(
          `Demo widget ${DEMO_WIDGET_ID} not registered: the state backend did not answer in ` +
            `${attempt} attempts (${message})`,
        );
        return;
      }
      if (attempt === 1) {
        this.logger.warn(
          `Demo widget ${DEMO_WIDGET_ID} not registered yet (${message}); ` +
            'retrying until the state backend answers',
        );
      }
    }
    if (!this.stopped) {
      this.retry = setTimeout(
        () => void this.seed(attempt + 1, Math.min(wait * 2, SEED_MAX_RETRY_MS)),
        wait,
      );
    }
  }
}
