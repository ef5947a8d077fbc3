import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { createMarkdown } from '../src/markdown.js';

const { window } = new JSDOM('<!doctype html><body></body>');
const md = createMarkdown(window, key => `[${key}]`);

function render(markdown) {
  const div = window.document.createElement('div');
  div.append(md.toFragment(markdown));
  return div;
}

test('headings, lists, tables and links render', () => {
  const div = render('# Title\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://example.com)');
  assert.equal(div.querySelector('h1').textContent, 'Title');
  assert.equal(div.querySelectorAll('li').length, 2);
  assert.equal(div.querySelectorAll('td').length, 2);
  const link = div.querySelector('a');
  assert.equal(link.getAttribute('href'), 'https://example.com');
  assert.equal(link.getAttribute('rel'), 'noopener noreferrer nofollow');
  assert.equal(link.getAttribute('target'), '_blank');
});

test('code blocks are highlighted and get a copy button', () => {
  const div = render('```python\ndef f():\n    return 1\n```');
  assert.ok(div.querySelector('.code-block pre code.hljs.language-python'));
  assert.ok(div.querySelector('.hljs-keyword'));
  assert.equal(div.querySelector('button.copy-code').textContent, '[copyCode]');
  assert.equal(div.querySelector('.code-lang').textContent, 'python');
  assert.match(div.querySelector('code').textContent, /def f\(\):/);
});

test('raw HTML shows as text: no script, no handlers, no img', () => {
  const div = render('<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> <b onclick="x()">b</b>\n\n<div><iframe src="https://evil.example"></iframe></div>');
  assert.equal(div.querySelectorAll('img, script, iframe, [onerror], [onclick], b').length, 0);
  assert.match(div.textContent, /<script>window.pwned=2<\/script>/);
  assert.match(div.textContent, /<img src=x onerror/);
});

test('output cannot bring data attributes that drive the page', () => {
  const html = md.sanitize('<p data-i18n="signOut">x</p><span data-parley="1">y</span>');
  const holder = window.document.createElement('div');
  holder.append(html);
  assert.equal(holder.querySelectorAll('[data-i18n], [data-parley]').length, 0);
});

test('javascript:, data: and vbscript: links lose their target', () => {
  for (const href of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', ' javascript:alert(1)']) {
    const div = render(`[click](${href})`);
    const link = div.querySelector('a');
    assert.ok(!link || !link.hasAttribute('href'), `${href} kept its href`);
  }
  // An encoded scheme is still a javascript: URL to the browser.
  const encoded = render('[x](&#106;avascript:alert(1))').querySelector('a');
  assert.ok(!encoded || !encoded.hasAttribute('href'));
});

test('remote images become a link and are never loaded', () => {
  const div = render('![tracker](http://remote.example/x.png) and ![local](/x.png) and ![data](data:image/png;base64,AAAA)');
  assert.equal(div.querySelectorAll('img').length, 0);
  const placeholders = div.querySelectorAll('.remote-image');
  assert.equal(placeholders.length, 3);
  const link = placeholders[0].querySelector('a');
  assert.equal(link.getAttribute('href'), 'http://remote.example/x.png');
  assert.equal(link.getAttribute('rel'), 'noopener noreferrer nofollow');
  assert.equal(link.textContent, 'tracker');
  assert.match(placeholders[0].textContent, /\[imageNotLoaded\]/);
  // A non-http image source is not even linked.
  assert.ok(!placeholders[1].querySelector('a').hasAttribute('href'));
});

test('incremental rendering rebuilds only the blocks whose text changed', () => {
  const container = window.document.createElement('div');
  md.renderInto(container, '# Title\n\nFirst paragraph.\n\nSecond par');
  const [heading, first, second] = container.children;
  md.renderInto(container, '# Title\n\nFirst paragraph.\n\nSecond paragraph, longer now.');
  assert.equal(container.children[0], heading, 'the heading was re-rendered');
  assert.equal(container.children[1], first, 'the first paragraph was re-rendered');
  assert.notEqual(container.children[2], second);
  assert.equal(container.children[2].textContent.trim(), 'Second paragraph, longer now.');
  md.renderInto(container, '# Title');
  assert.equal(container.children.length, 1);
});

test('an unfinished code fence while streaming renders as code, then completes', () => {
  const container = window.document.createElement('div');
  md.renderInto(container, 'Look:\n\n```js\nconst a');
  assert.ok(container.querySelector('pre code'));
  md.renderInto(container, 'Look:\n\n```js\nconst a = 1;\n```\n\nDone.');
  assert.equal(container.querySelectorAll('pre').length, 1);
  assert.match(container.textContent, /Done\./);
});
