import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server certificate and its key, PEM. */
export interface TlsIdentity {
  cert: string;
  key: string;
}

/**
 * A certificate authority made for one test run with `openssl` (P-256 keys, one day), whose
 * certificate a child process trusts through `NODE_EXTRA_CA_CERTS=<caFile>`. Nothing leaves its
 * temporary folder, which `remove()` deletes.
 */
export class ThrowawayCa {
  private issued = 0;

  private constructor(
    private readonly folder: string,
    /** The CA certificate's file: the value of `NODE_EXTRA_CA_CERTS`. */
    readonly caFile: string,
  ) {}

  static create(name = 'Livegate test CA'): ThrowawayCa {
    const folder = mkdtempSync(join(tmpdir(), 'livegate-ca-'));
    const caFile = join(folder, 'ca.pem');
    openssl(folder, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    return new ThrowawayCa(folder, caFile);
  }

  /** A server certificate for these subject alternative names (`IP:127.0.0.1`, `DNS:name`). */
  issue(altNames: string[]): TlsIdentity {
    const id = `server-${(this.issued += 1)}`;
    openssl(this.folder, [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${id}.key`,
      '-out',
      `${id}.csr`,
      '-subj',
      `/CN=${altNames[0]}`,
    ]);
    writeFileSync(
      join(this.folder, `${id}.ext`),
      `subjectAltName=${altNames.join(',')}\nextendedKeyUsage=serverAuth\n`,
    );
    openssl(this.folder, [
      'x509',
      '-req',
      '-in',
      `${id}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${id}.ext`,
      '-out',
      `${id}.pem`,
    ]);
    return {
      cert: readFileSync(join(this.folder, `${id}.pem`), 'utf8'),
      key: readFileSync(join(this.folder, `${id}.key`), 'utf8'),
    };
  }

  get caCert(): string {
    return readFileSync(this.caFile, 'utf8');
  }

  remove(): void {
    rmSync(this.folder, { recursive: true, force: true });
  }
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}
