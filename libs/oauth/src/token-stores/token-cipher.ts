import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { TokenError } from '../oauth.errors';

const VERSION = 'v1';
const INFO = 'livegate oauth token store v1';

/**
 * Encrypts token entries at rest (AES-256-GCM) under a key derived from the token secret with
 * HKDF-SHA256, so that a Redis dump or a keyring export holds no usable token. Each entry is bound
 * to its store key (the additional data): an entry copied under another key does not decrypt.
 * Previous secrets still decrypt, so rotating the token secret keeps stored logins.
 */
export class TokenCipher {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    if (
      secrets.length === 0 ||
      secrets.some((secret) => typeof secret !== 'string' || secret === '')
    ) {
      throw new TokenError('The token store needs the token secret to encrypt tokens at rest');
    }
    this.keys = secrets.map((secret) =>
      Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'livegate', INFO, 32)),
    );
  }

  encrypt(key: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], iv);
    cipher.setAAD(Buffer.from(key, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body].map(encode).join('.');
  }

  /** The plaintext, or a `TokenError` when the entry was not written under `key` by these secrets. */
  decrypt(key: string, stored: string): string {
    const parts = typeof stored === 'string' ? stored.split('.') : [];
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new TokenError('A stored token entry has an unknown format');
    }
    const [iv, tag, body] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
    for (const secretKey of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', secretKey, iv);
        decipher.setAAD(Buffer.from(key, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        // The next (previous) secret may have written it.
      }
    }
    throw new TokenError('A stored token entry cannot be decrypted with the token secret');
  }
}

function encode(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64url');
}
