import { Marked } from 'marked';
import createDOMPurify from 'dompurify';
import hljs from './highlight.js';

// Model output is untrusted. Three layers keep it inert:
// 1. marked renders raw HTML in the markdown as visible text, and images as links, so no <img> is ever built;
// 2. DOMPurify sanitises the result (no script, no handlers, no javascript: URLs, no img/iframe/form);
// 3. links keep only http(s) and mailto targets and open with rel="noopener noreferrer".
// The page's Content Security Policy (no inline script, img-src 'self' data:) is the net under all three.
export function createMarkdown(window, label = key => key) {
  const purify = createDOMPurify(window);
  const document = window.document;

  purify.addHook('afterSanitizeAttributes', node => {
    if (node.nodeName !== 'A') return;
    const href = node.getAttribute('href') ?? '';
    if (!/^(https?:|mailto:)/i.test(href.trim())) {
      node.removeAttribute('href');
      node.classList.add('dead-link');
      return;
    }
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  });

  const marked = new Marked({
    gfm: true,
    breaks: false,
    renderer: {
      html: ({ text }) => escapeHtml(text),
      image: ({ href, text }) => remoteImage(href, text, label),
      code: ({ text, lang }) => {
        const language = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
        const known = language && hljs.getLanguage(language);
        const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
        const label = language ? ` lang-${escapeHtml(language)}` : '';
        return `<pre><code class="hljs${known ? ' language-' + escapeHtml(language) : ''}${label}">${body}</code></pre>\n`;
      },
    },
  });

  const sanitizeOptions = {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['img', 'image', 'svg', 'math', 'style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'video', 'audio', 'source', 'picture', 'link', 'meta', 'base'],
    FORBID_ATTR: ['style', 'srcset', 'background', 'poster', 'formaction'],
    // Data attributes drive the page's own behaviour (translations), so output may not bring any.
    ALLOW_DATA_ATTR: false,
  };

  // Markdown text to a sanitised fragment of the page's document.
  function toFragment(markdown, links) {
    const tokens = marked.lexer(markdown);
    if (links) tokens.links = links;
    return decorate(document.importNode(purify.sanitize(marked.parser(tokens), sanitizeOptions), true));
  }

  function decorate(fragment) {
    for (const pre of fragment.querySelectorAll('pre')) {
      const wrapper = document.createElement('div');
      wrapper.className = 'code-block';
      const head = document.createElement('div');
      head.className = 'code-head';
      const lang = document.createElement('span');
      lang.className = 'code-lang';
      lang.textContent = [...(pre.querySelector('code')?.classList ?? [])].find(c => c.startsWith('lang-'))?.slice(5) ?? '';
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.className = 'copy-code';
      copy.dataset.i18n = 'copyCode';
      copy.textContent = label('copyCode');
      head.append(lang, copy);
      pre.replaceWith(wrapper);
      wrapper.append(head, pre);
    }
    for (const note of fragment.querySelectorAll('.remote-image-note')) {
      note.dataset.i18n = 'imageNotLoaded';
      note.textContent = label('imageNotLoaded');
    }
    return fragment;
  }

  // Renders `markdown` into `container`, block by block: blocks whose source is unchanged keep their DOM
  // nodes, so while a reply streams only its last block is rebuilt and nothing above it flickers.
  function renderInto(container, markdown) {
    const tokens = marked.lexer(markdown);
    const blocks = (container.parleyBlocks ??= []);
    let i = 0;
    for (const token of tokens) {
      if (token.type === 'space') continue;
      const existing = blocks[i];
      if (!existing || existing.raw !== token.raw) {
        const node = document.createElement('div');
        node.className = 'md-block';
        const single = [token];
        single.links = tokens.links;
        node.append(decorate(document.importNode(purify.sanitize(marked.parser(single), sanitizeOptions), true)));
        if (existing) existing.node.replaceWith(node);
        else container.append(node);
        blocks[i] = { raw: token.raw, node };
      }
      i++;
    }
    for (const stale of blocks.splice(i)) stale.node.remove();
  }

  return { toFragment, renderInto, sanitize: html => purify.sanitize(html, sanitizeOptions) };
}

// A remote image could carry chat data to a stranger's server, so it becomes a link the user may open.
function remoteImage(href, alt, label) {
  const text = escapeHtml(alt || href || '');
  const safeHref = /^https?:/i.test(href ?? '') ? ` href="${escapeHtml(href)}"` : '';
  return `<span class="remote-image"><span class="remote-image-note"></span> <a${safeHref}>${text}</a></span>`;
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
