import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChildProcess, waitFor } from '@livegate/state/testing';

const run = promisify(execFile);

const REQUIRED = ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon'];

const BUS_CONFIG = (socket: string) => `<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

/**
 * A Secret Service of the test's own: a private D-Bus session bus on a socket in a temporary
 * folder and gnome-keyring's secrets component on it, its login keyring unlocked with a password
 * and kept on disk under a temporary home. Processes given `env` use it through
 * `@napi-rs/keyring` as a desktop session would. Both daemons are stopped by pid.
 */
export class SecretServiceTestBus {
  private constructor(
    private readonly folder: string,
    private readonly bus: ChildProcess,
    private readonly keyring: ChildProcess,
    readonly env: Record<string, string>,
  ) {}

  /** Fails with the Debian packages to install when a daemon is missing (`.ci/run` installs them). */
  static async start(): Promise<SecretServiceTestBus> {
    const missing = REQUIRED.filter(
      (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0,
    );
    if (missing.length > 0) {
      throw new Error(
        `${missing.join(', ')} not found: install Debian's dbus-daemon, dbus-bin and ` +
          'gnome-keyring (.ci/run does)',
      );
    }
    const folder = mkdtempSync(join(tmpdir(), 'livegate-secret-service-'));
    const home = join(folder, 'home');
    const runtime = join(folder, 'run');
    mkdirSync(home, { mode: 0o700 });
    mkdirSync(runtime, { mode: 0o700 });
    const socket = join(folder, 'bus');
    writeFileSync(join(folder, 'bus.conf'), BUS_CONFIG(socket));

    const env = {
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`,
      HOME: home,
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_RUNTIME_DIR: runtime,
    };
    const bus = spawn('dbus-daemon', [`--config-file=${join(folder, 'bus.conf')}`, '--nofork'], {
      stdio: 'ignore',
    });
    const childEnv = { PATH: process.env.PATH ?? '', ...env };
    await waitFor(() => nameHasOwner(childEnv, 'org.freedesktop.DBus'), {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'the private D-Bus session bus',
    });
    const keyring = spawn(
      'gnome-keyring-daemon',
      ['--unlock', '--components=secrets', '--foreground'],
      { env: childEnv, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    // --unlock reads the login keyring's password from standard input, up to its end.
    keyring.stdin!.end('livegate-test-keyring-password');
    await waitFor(() => nameHasOwner(childEnv, 'org.freedesktop.secrets'), {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'gnome-keyring on the private bus',
    });
    return new SecretServiceTestBus(folder, bus, keyring, env);
  }

  /**
   * Locks the login keyring of the session bus in `env` (by default this process's), as a screen
   * lock or a timeout would; only a prompt unlocks it again.
   */
  static async lockSessionKeyring(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.secrets',
        '/org/freedesktop/secrets',
        'org.freedesktop.Secret.Service.Lock',
        'array:objpath:/org/freedesktop/secrets/collection/login',
      ],
      { env, timeout: 5000 },
    );
  }

  async stop(): Promise<void> {
    await stopChildProcess(this.keyring, 'SIGTERM', 5000);
    await stopChildProcess(this.bus, 'SIGTERM', 5000);
    rmSync(this.folder, { recursive: true, force: true });
  }
}

async function nameHasOwner(env: Record<string, string>, name: string): Promise<boolean> {
  try {
    const { stdout } = await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        `string:${name}`,
      ],
      { env, timeout: 2000 },
    );
    return /boolean true/.test(stdout);
  } catch {
    return false;
  }
}
