/** The parts of an Express response, a Fastify reply and a raw Node response used here. */
interface ReplyLike {
  /** Express: adds a value to a header (several `Set-Cookie` lines). */
  append?(name: string, value: string): unknown;
  /** Fastify: sets a header; `set-cookie` values accumulate. Express has one too, which replaces. */
  header?(name: string, value: string): unknown;
  /** Fastify's underlying Node response. */
  raw?: unknown;
  setHeader?(name: string, value: string | string[]): unknown;
  getHeader?(name: string): unknown;
}

function isFastifyReply(reply: ReplyLike): boolean {
  return typeof reply.header === 'function' && typeof reply.raw === 'object' && !reply.append;
}

function unsupported(): never {
  throw new TypeError('Expected an Express response, a Fastify reply or a Node ServerResponse');
}

/** Sets a header on an Express response, a Fastify reply or a raw Node response. */
export function setReplyHeader(reply: unknown, name: string, value: string): void {
  const target = reply as ReplyLike;
  if (isFastifyReply(target)) {
    target.header!(name, value);
  } else if (typeof target.setHeader === 'function') {
    target.setHeader(name, value);
  } else {
    unsupported();
  }
}

/** Adds a `Set-Cookie` line, keeping the ones already set (a login may clear another cookie). */
export function appendSetCookie(reply: unknown, cookie: string): void {
  const target = reply as ReplyLike;
  if (typeof target.append === 'function') {
    target.append('Set-Cookie', cookie);
  } else if (isFastifyReply(target)) {
    target.header!('set-cookie', cookie);
  } else if (typeof target.setHeader === 'function' && typeof target.getHeader === 'function') {
    const existing = target.getHeader('set-cookie');
    const lines = Array.isArray(existing)
      ? [...(existing as string[]), cookie]
      : typeof existing === 'string'
        ? [existing, cookie]
        : [cookie];
    target.setHeader('Set-Cookie', lines);
  } else {
    unsupported();
  }
}
