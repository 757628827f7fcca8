import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, headless, as the browser suites drive it: no sandbox (root), and none of
 * the background connections a closed network would refuse.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 20000,
  });
}
