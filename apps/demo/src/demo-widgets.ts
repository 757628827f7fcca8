import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { StateService } from '@livegate/state';

export const DEMO_WIDGET_ID = 'hello-livegate';

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

/** Registers the demo widget once the app has started. */
@Injectable()
export class DemoWidgets implements OnApplicationBootstrap {
  constructor(private readonly state: StateService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.state.registerWidget(DEMO_WIDGET_ID, DEMO_WIDGET_HTML, {
      metadata: { title: 'Hello from Livegate' },
    });
  }
}
