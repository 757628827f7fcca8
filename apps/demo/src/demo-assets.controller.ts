import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '@livegate/auth';
import { DEMO_CSS, DEMO_LIVE_SCRIPT, DEMO_LOGIN_SCRIPT } from './demo-assets';

/** The stylesheet and the demo's scripts (`DEMO_ASSET_PATHS`), public, revalidated on each use. */
@Controller('demo')
export class DemoAssetsController {
  @Public()
  @Get('demo.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  css(): string {
    return DEMO_CSS;
  }

  @Public()
  @Get('login.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  loginScript(): string {
    return DEMO_LOGIN_SCRIPT;
  }

  @Public()
  @Get('live.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  liveScript(): string {
    return DEMO_LIVE_SCRIPT;
  }
}
