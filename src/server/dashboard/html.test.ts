import { describe, expect, it } from 'vitest';
import { escapeHtml, html, queryString, trusted } from './html.js';

describe('html templates', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    [`" onmouseover='x'`, '&quot; onmouseover=&#39;x&#39;'],
    ['a & b `c`', 'a &amp; b &#96;c&#96;'],
  ])('escapes %s', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
    expect(html`<p title="${input}">${input}</p>`.toString()).toBe(`<p title="${expected}">${expected}</p>`);
  });

  it('keeps nested templates and trusted markup, joins arrays and drops empty values', () => {
    const items = ['<a>', 'b'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}${trusted('<hr>')}`.toString()).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0<hr>');
  });

  it('builds query strings from non-empty values only', () => {
    expect(queryString({ status: 'all', q: 'a&b', server: '', severity: undefined, limit: 5 })).toBe('?status=all&q=a%26b&limit=5');
    expect(queryString({ q: '' })).toBe('');
  });
});
