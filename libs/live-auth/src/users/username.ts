import { StateValidationError } from '@livegate/state';

/** Longest username, in code points after NFKC normalization. */
export const MAX_USERNAME_LENGTH = 64;

/**
 * What a username may hold after NFKC: letters, combining marks and digits of any script, and
 * `.`, `_`, `-`, `@`, `+` between them. No spaces, control, format (zero-width, bidirectional)
 * or separator characters, which would let two names look alike or hide parts of one.
 */
const USERNAME = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}._@+-]*$/u;

/** A username as it is shown, and the form it is compared and kept unique in. */
export interface Username {
  /** NFKC-normalized, as the user typed it otherwise. */
  readonly display: string;
  /** NFKC, case-folded, NFKC again: `Alice`, `ALICE` and `ａｌｉｃｅ` are one user. */
  readonly normalized: string;
}

/** Full case folding as far as JavaScript has it: upper-casing first folds `ß` to `ss`. */
function caseFold(text: string): string {
  return text.toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * Checks and normalizes a username; a `StateValidationError` (400) says what is wrong, without
 * echoing the value.
 */
export function parseUsername(value: unknown): Username {
  if (typeof value !== 'string') {
    throw new StateValidationError('username', 'must be a string');
  }
  const display = value.normalize('NFKC');
  const length = [...display].length;
  if (length === 0 || length > MAX_USERNAME_LENGTH) {
    throw new StateValidationError(
      'username',
      `must be 1 to ${MAX_USERNAME_LENGTH} characters long`,
    );
  }
  if (!USERNAME.test(display)) {
    throw new StateValidationError(
      'username',
      'may hold letters, digits and . _ - @ + (not first), and no spaces, control or invisible characters',
    );
  }
  const normalized = caseFold(display);
  if (!USERNAME.test(normalized)) {
    throw new StateValidationError('username', 'does not keep its form when case-folded');
  }
  return { display, normalized };
}
