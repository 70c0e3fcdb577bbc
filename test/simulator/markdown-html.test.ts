import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { markdownToHtml } from '../../simulator/markdown-html.js';

describe('markdownToHtml (the simulator page shows bot markdown with it)', () => {
  const cases: Array<[string, string, string]> = [
    ['plain lines become one paragraph with line breaks', 'a\nb', '<p>a<br>b</p>'],
    ['blank lines separate paragraphs', 'a\n\nb', '<p>a</p><p>b</p>'],
    [
      'bold, italic, strikethrough and code',
      '**b** *i* ~~s~~ `x*y*`',
      '<p><strong>b</strong> <em>i</em> <del>s</del> <code>x*y*</code></p>',
    ],
    ['headings are scaled down to fit a bubble', '# Title', '<h3>Title</h3>'],
    ['bullet and numbered lists', '- a\n- b\n1. c', '<ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>'],
    ['quotes', '> said', '<blockquote>said</blockquote>'],
    ['fenced code is kept as written', '```\n**no** <b>\n```', '<pre><code>**no** &lt;b&gt;</code></pre>'],
    [
      'http(s) links open in a new tab without the opener',
      '[doc](https://example.com/a?b=1&c=2)',
      '<p><a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">doc</a></p>',
    ],
    [
      "WeCom's <font color> for info, comment and warning",
      '<font color="warning">3</font> left',
      '<p><span class="md-warning">3</span> left</p>',
    ],
    ['a 2 * 3 * 4 product is not italic', '2 * 3 * 4', '<p>2 * 3 * 4</p>'],
  ];
  for (const [name, input, html] of cases) test(name, () => assert.equal(markdownToHtml(input), html));

  test('HTML in a reply is shown as text, never as markup', () => {
    const html = markdownToHtml('<script>alert(1)</script> <img src=x onerror="alert(2)"> **<b>x</b>**');
    assert.doesNotMatch(html, /<script|<img|<b>/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /&lt;img src=x onerror=&quot;alert\(2\)&quot;&gt;/);
  });

  test('links other than http(s) stay text, and a quote cannot leave the href', () => {
    assert.equal(markdownToHtml('[x](javascript:alert(1))'), '<p>[x](javascript:alert(1))</p>');
    const html = markdownToHtml('[x](https://a.com/"onmouseover="alert(1))');
    assert.match(html, /href="https:\/\/a\.com\/&quot;onmouseover=&quot;alert\(1"/);
    assert.doesNotMatch(html, /" onmouseover/);
  });

  test('a colour other than the three is left escaped', () => {
    assert.equal(
      markdownToHtml('<font color="red" onclick="x">a</font>'),
      '<p>&lt;font color=&quot;red&quot; onclick=&quot;x&quot;&gt;a&lt;/font&gt;</p>',
    );
  });
});
