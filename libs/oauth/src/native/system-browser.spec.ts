import { AuthenticationError } from '../oauth.errors';
import { openSystemBrowser, systemOpenerCommand } from './system-browser';

describe('the system browser opener', () => {
  const url = 'https://idp.example/authorize?client_id=a&state=b c&x=1';

  it('hands the URL over as one argument, never through a shell', () => {
    expect(systemOpenerCommand(url, 'darwin')).toEqual(['open', [url]]);
    expect(systemOpenerCommand(url, 'win32')).toEqual([
      'rundll32',
      ['url.dll,FileProtocolHandler', url],
    ]);
    expect(systemOpenerCommand(url, 'linux')).toEqual(['xdg-open', [url]]);
    expect(systemOpenerCommand(url, 'freebsd')).toEqual(['xdg-open', [url]]);
  });

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,x', 'ftp://idp.example/'])(
    'opens nothing but http(s): %s',
    async (target) => {
      await expect(async () => openSystemBrowser(new URL(target))).rejects.toThrow(
        AuthenticationError,
      );
    },
  );

  it('fails with AuthenticationError naming the command when it cannot run', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent-livegate-path';
    try {
      await expect(openSystemBrowser(new URL('https://idp.example/'))).rejects.toThrow(
        /The system browser could not be opened with (xdg-open|open|rundll32) \(ENOENT\): pass openBrowser/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
