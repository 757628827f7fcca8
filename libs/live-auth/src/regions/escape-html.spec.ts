import fc from 'fast-check';
import { escapeHtml, html } from './escape-html';

describe('escapeHtml and html', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(escapeHtml(42)).toBe('42');
  });

  it('never leaves a markup character in any escaped string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const escaped = escapeHtml(text);
        expect(escaped).not.toMatch(/[<>"']/);
        // Every & starts one of the entities written here, so unescaping gives the text back.
        expect(escaped).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
        const unescaped = escaped
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, '&');
        expect(unescaped).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the template and escapes every interpolation', () => {
    const name = '<img src=x onerror="alert(1)">';
    expect(html`<p class="greeting">Hello, ${name} & ${"'you'"}</p>`).toBe(
      '<p class="greeting">Hello, &lt;img src=x onerror=&quot;alert(1)&quot;&gt; & &#39;you&#39;</p>',
    );
  });

  it('renders null and undefined as nothing and joins arrays after escaping each item', () => {
    expect(html`<b>${['<a>', 'b&c']}</b>`).toBe('<b>&lt;a&gt;b&amp;c</b>');
    expect(html`<b>${null}${undefined}${0}${false}</b>`).toBe('<b>0false</b>');
  });

  it('escapes a nested html result again: markup is never interpolated', () => {
    expect(html`<div>${html`<b>${'x'}</b>`}</div>`).toBe('<div>&lt;b&gt;x&lt;/b&gt;</div>');
  });
});
