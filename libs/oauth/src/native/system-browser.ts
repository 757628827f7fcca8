import { spawn } from 'node:child_process';
import { AuthenticationError } from '../oauth.errors';

/** Opens a URL for the user to sign in at: the system browser by default, or a function of the app's. */
export type BrowserOpener = (url: URL) => void | Promise<void>;

/** The command that hands a URL to the desktop's default browser on this platform. */
export function systemOpenerCommand(
  url: string,
  platform: NodeJS.Platform = process.platform,
): [string, string[]] {
  if (platform === 'darwin') {
    return ['open', [url]];
  }
  if (platform === 'win32') {
    // Not `cmd /c start`: cmd would read `&` in the query as a command separator.
    return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  }
  return ['xdg-open', [url]];
}

/**
 * Opens `url` in the system browser (`open` on macOS, the URL protocol handler on Windows,
 * `xdg-open` elsewhere), as a detached process this one does not wait for. Only http(s) URLs.
 */
export const openSystemBrowser: BrowserOpener = (url) => {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AuthenticationError(`Only an http(s) sign-in URL is opened, not ${url.protocol}`);
  }
  const [command, args] = systemOpenerCommand(url.href);
  return new Promise<void>((resolve, reject) => {
    // The environment as this program sees it (its PATH finds the command), passed explicitly.
    const child = spawn(command, args, { detached: true, stdio: 'ignore', env: process.env });
    child.once('error', (error) =>
      reject(
        new AuthenticationError(
          `The system browser could not be opened with ${command} (${(error as NodeJS.ErrnoException).code ?? error.message}): pass openBrowser to show the sign-in URL another way`,
          { cause: error },
        ),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
};
