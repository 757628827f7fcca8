const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text made safe for HTML text and quoted attribute values: `& < > " '` become entities. Region
 * content is trusted HTML, so every piece of user data in it must pass through here (or `html`).
 */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

function interpolation(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.map(interpolation).join('');
  }
  return escapeHtml(value);
}

/**
 * A tagged template for region content and pages: the literal parts are kept as written, every
 * interpolation is escaped (`null` and `undefined` are empty, arrays are joined after escaping
 * each item). It returns a plain string, so a nested `html` result is escaped again: build
 * nested markup by concatenation, never by interpolating markup. (Prettier formats templates
 * tagged `html` as HTML, so their whitespace may change; HTML ignores most of it.)
 *
 * @example html`<p>Hello, ${principal.name}</p>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  let result = strings[0];
  for (let index = 0; index < values.length; index += 1) {
    result += interpolation(values[index]) + strings[index + 1];
  }
  return result;
}
