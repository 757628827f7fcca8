export type HttpPlatform = 'express' | 'fastify';

/**
 * What guards the route: nothing; a middleware and a global guard that do nothing (the floor any
 * middleware-and-guard stack starts from); the express-session + connect-redis + passport peer;
 * or Livegate.
 */
export type HttpStack = 'bare' | 'empty' | 'peer' | 'livegate';

export interface HttpVariant {
  id: string;
  /** The letter of the variant in the benchmark's description: (a) to (e). */
  letter: 'a' | 'b' | 'c' | 'd' | 'e' | 'control';
  label: string;
  platform: HttpPlatform;
  stack: HttpStack;
  backend?: 'redis' | 'memory' | 'sqlite';
  /** Livegate on Redis with `sessionCacheSize: 0`. */
  noSessionCache?: boolean;
  /** Whether the route answers without credentials (and so whether 401 is checked). */
  protected: boolean;
}

/** Every HTTP variant, in the order the table prints them. */
export const HTTP_VARIANTS: readonly HttpVariant[] = [
  {
    id: 'express-bare',
    letter: 'a',
    label: '(a) bare Nest route',
    platform: 'express',
    stack: 'bare',
    protected: false,
  },
  {
    id: 'express-empty',
    letter: 'control',
    label: '(control) no-op middleware + guard',
    platform: 'express',
    stack: 'empty',
    protected: false,
  },
  {
    id: 'express-peer',
    letter: 'b',
    label: '(b) express-session + connect-redis + passport',
    platform: 'express',
    stack: 'peer',
    protected: true,
  },
  {
    id: 'express-redis',
    letter: 'c',
    label: '(c) Livegate, Redis',
    platform: 'express',
    stack: 'livegate',
    backend: 'redis',
    protected: true,
  },
  {
    id: 'express-redis-uncached',
    letter: 'c',
    label: '(c) Livegate, Redis, session cache off',
    platform: 'express',
    stack: 'livegate',
    backend: 'redis',
    noSessionCache: true,
    protected: true,
  },
  {
    id: 'express-memory',
    letter: 'd',
    label: '(d) Livegate, memory',
    platform: 'express',
    stack: 'livegate',
    backend: 'memory',
    protected: true,
  },
  {
    id: 'express-sqlite',
    letter: 'e',
    label: '(e) Livegate, SQLite (SQLCipher)',
    platform: 'express',
    stack: 'livegate',
    backend: 'sqlite',
    protected: true,
  },
  {
    id: 'fastify-bare',
    letter: 'a',
    label: '(a) bare Nest route',
    platform: 'fastify',
    stack: 'bare',
    protected: false,
  },
  {
    id: 'fastify-empty',
    letter: 'control',
    label: '(control) no-op middleware + guard',
    platform: 'fastify',
    stack: 'empty',
    protected: false,
  },
  {
    id: 'fastify-redis',
    letter: 'c',
    label: '(c) Livegate, Redis',
    platform: 'fastify',
    stack: 'livegate',
    backend: 'redis',
    protected: true,
  },
];

export function httpVariant(id: string): HttpVariant {
  const variant = HTTP_VARIANTS.find((candidate) => candidate.id === id);
  if (!variant) {
    throw new Error(`No HTTP variant ${id}`);
  }
  return variant;
}
