import { homedir } from 'node:os';
import { join } from 'node:path';
import { MAX_TTL_SECONDS } from '../common/validation';

/** What a parser made of one value: the typed value, or why it was refused. */
export type ParseResult<T> = { value: T } | { error: string };

/**
 * Parses one configuration value. The same parser reads an environment variable (a string) and
 * checks the explicit module option (already typed, or a string): one rule for both.
 */
export type ConfigParser<T> = (input: unknown) => ParseResult<T>;

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const DEFAULT_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

const wrongType = (expected: string): { error: string } => ({ error: `must be ${expected}` });

/** `true`/`false`, or one of true, 1, yes, on / false, 0, no, off (any case). */
export function booleanParser(): ConfigParser<boolean> {
  return (input) => {
    if (typeof input === 'boolean') {
      return { value: input };
    }
    if (typeof input === 'string') {
      const word = input.trim().toLowerCase();
      if (TRUE_WORDS.includes(word)) return { value: true };
      if (FALSE_WORDS.includes(word)) return { value: false };
    }
    return wrongType('true or false');
  };
}

/** A number of seconds greater than zero (fractions allowed). */
export function secondsParser(): ConfigParser<number> {
  return (input) => {
    const value = typeof input === 'number' ? input : numeric(input);
    return value !== undefined && Number.isFinite(value) && value > 0 && value <= MAX_TTL_SECONDS
      ? { value }
      : wrongType(`a number of seconds greater than zero, at most ${MAX_TTL_SECONDS}`);
  };
}

/** A whole number from `min` to `max`. */
export function integerParser(min: number, max: number): ConfigParser<number> {
  return (input) => {
    const value = typeof input === 'number' ? input : numeric(input);
    return value !== undefined && Number.isInteger(value) && value >= min && value <= max
      ? { value }
      : wrongType(`a whole number from ${min} to ${max}`);
  };
}

function numeric(input: unknown): number | undefined {
  // Decimal notation only: no hex, binary or empty strings that Number() would also accept.
  if (typeof input !== 'string' || !DECIMAL.test(input.trim())) {
    return undefined;
  }
  return Number(input.trim());
}

/** A non-empty string, trimmed. */
export function textParser(): ConfigParser<string> {
  return (input) =>
    typeof input === 'string' && input.trim() !== ''
      ? { value: input.trim() }
      : wrongType('a non-empty string');
}

/**
 * A name: 1 to 64 letters, digits, `_`, `.` or `-` by default (a key prefix, a cookie or header
 * name), or what `pattern` allows, described by `rule`.
 */
export function nameParser(
  pattern: RegExp = DEFAULT_NAME_PATTERN,
  rule = '1 to 64 letters, digits, `_`, `.` or `-`',
): ConfigParser<string> {
  return (input) =>
    typeof input === 'string' && pattern.test(input.trim())
      ? { value: input.trim() }
      : wrongType(rule);
}

/** One of a fixed set of words, in any case. */
export function oneOfParser<T extends string>(choices: readonly T[]): ConfigParser<T> {
  return (input) => {
    const word = typeof input === 'string' ? input.trim().toLowerCase() : undefined;
    return word !== undefined && (choices as readonly string[]).includes(word)
      ? { value: word as T }
      : wrongType(`one of ${choices.join(', ')}`);
  };
}

/**
 * A comma-separated list (or an array), each item trimmed and checked by `item`; empty items are
 * dropped.
 */
export function listParser(item: ConfigParser<string> = textParser()): ConfigParser<string[]> {
  return (input) => {
    let items: unknown[];
    if (typeof input === 'string') {
      items = input
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
    } else if (Array.isArray(input)) {
      items = input;
    } else {
      return wrongType('a comma-separated list');
    }
    const values: string[] = [];
    for (const [index, entry] of items.entries()) {
      const parsed = item(entry);
      if ('error' in parsed) {
        return { error: `item ${index + 1} (${JSON.stringify(entry)}) ${parsed.error}` };
      }
      values.push(parsed.value);
    }
    return { value: values };
  };
}

/** An absolute URL with one of the given protocols (`['redis:', 'rediss:']`). */
export function urlParser(protocols: readonly string[]): ConfigParser<string> {
  const rule = `a ${protocols.map((protocol) => `${protocol}//`).join(', ')} URL`;
  return (input) => {
    if (typeof input !== 'string' || input.trim() === '') {
      return wrongType(rule);
    }
    const text = input.trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return wrongType(rule);
    }
    return protocols.includes(url.protocol) && text.toLowerCase().startsWith(`${url.protocol}//`)
      ? { value: text }
      : wrongType(rule);
  };
}

/** A file path; a leading `~` is the home directory. */
export function pathParser(): ConfigParser<string> {
  return (input) => {
    if (typeof input !== 'string' || input.trim() === '') {
      return wrongType('a file path');
    }
    const path = input.trim();
    if (path.includes('\u0000')) {
      return wrongType('a file path without NUL characters');
    }
    return { value: path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path };
  };
}
