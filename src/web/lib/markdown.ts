// Model output -> safe HTML. Two independent layers: marked never passes raw HTML through (it is
// rendered as text), and DOMPurify then removes anything executable or network-reaching that
// could still appear (event handlers, javascript:/data: links, images, forms, styles).
import { Marked } from 'marked';
import DOMPurify from 'dompurify';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const SAFE_HREF = /^(https?:|mailto:|#)/i;

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) => `<span class="md-image">[image: ${escapeHtml(text || href)}]</span>`,
    link({ href, text, tokens }) {
      const inner = tokens ? this.parser.parseInline(tokens) : escapeHtml(text);
      if (!SAFE_HREF.test(href.trim())) return `<span class="md-unsafe-link" title="link removed">${inner}</span>`;
      return `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">${inner}</a>`;
    },
  },
});

const purifier = DOMPurify();
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    const href = node.getAttribute('href') ?? '';
    if (!SAFE_HREF.test(href.trim())) node.removeAttribute('href');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    node.setAttribute('target', '_blank');
  }
});

/** Renders markdown to sanitised HTML suitable for innerHTML. */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source) as string;
  return purifier.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'svg', 'math', 'video', 'audio', 'source', 'link', 'meta', 'base'],
    FORBID_ATTR: ['style', 'srcset', 'action', 'formaction'],
    ALLOW_DATA_ATTR: false,
  });
}
