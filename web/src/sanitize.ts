/**
 * A mail's HTML made safe to show: DOMPurify removes scripts, event handlers and javascript: URLs;
 * on top of that, every reference to another host (img src/srcset, background attributes, CSS
 * url()) is dropped unless the user asked for this message's remote images, so opening a mail does
 * not tell its sender that (and when) it was read. `cid:` images become data: URLs of the message's
 * own parts. The result goes into an iframe sandboxed without scripts and without same-origin, with
 * a Content-Security-Policy of its own that allows no request except (when asked) images.
 */
import DOMPurify from 'dompurify';

const REMOTE = /^\s*(https?:)?\/\//i;
const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)/gi;

export interface SafeHtml {
  document: string;
  blockedRemote: number;
}

function scrubCss(css: string, allowRemote: boolean, cid: Map<string, string>, count: () => void): string {
  return css.replace(CSS_URL, (_match, _quote, target: string) => {
    if (target.toLowerCase().startsWith('cid:')) return `url("${cid.get(target.slice(4)) ?? ''}")`;
    if (target.toLowerCase().startsWith('data:image/')) return `url("${target}")`;
    if (REMOTE.test(target) && allowRemote) return `url("${target}")`;
    count();
    return 'none';
  }).replace(/@import[^;]*;?/gi, '');
}

export function frameDocument(body: string, allowRemote: boolean): string {
  const images = allowRemote ? 'data: https: http:' : 'data:';
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src ${images}; font-src data:; form-action 'none'`;
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="referrer" content="no-referrer"><base target="_blank"><style>body{font-family:system-ui,sans-serif;margin:0.75rem;overflow-wrap:anywhere;color:#111;background:#fff}img{max-width:100%;height:auto}pre{white-space:pre-wrap}</style></head><body>${body}</body></html>`;
}

export function textDocument(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return frameDocument(`<pre>${escaped}</pre>`, false);
}

export function sanitizeMail(html: string, options: { allowRemote: boolean; cid: Map<string, string> }): SafeHtml {
  let blockedRemote = 0;
  const count = () => void blockedRemote++;
  const purifier = DOMPurify(window);
  purifier.addHook('afterSanitizeAttributes', (node) => {
    const element = node as Element;
    if (element.tagName === 'A') {
      element.setAttribute('target', '_blank');
      element.setAttribute('rel', 'noopener noreferrer');
    }
    for (const name of ['src', 'background', 'poster']) {
      const value = element.getAttribute(name);
      if (value === null) continue;
      if (value.toLowerCase().startsWith('cid:')) {
        element.setAttribute(name, options.cid.get(value.slice(4)) ?? '');
      } else if (REMOTE.test(value) && !options.allowRemote) {
        element.removeAttribute(name);
        count();
      }
    }
    if (element.hasAttribute('srcset')) {
      element.removeAttribute('srcset');
      if (!options.allowRemote) count();
    }
    const style = element.getAttribute('style');
    if (style !== null) element.setAttribute('style', scrubCss(style, options.allowRemote, options.cid, count));
  });
  purifier.addHook('uponSanitizeElement', (node) => {
    if ((node as Element).tagName === 'STYLE') node.textContent = scrubCss(node.textContent ?? '', options.allowRemote, options.cid, count);
  });
  const clean = purifier.sanitize(html, {
    FORBID_TAGS: ['form', 'input', 'button', 'textarea', 'select', 'link', 'meta', 'base', 'iframe', 'frame', 'object', 'embed'],
    FORBID_ATTR: ['action', 'formaction', 'ping'],
    ADD_TAGS: ['style'],
    FORCE_BODY: true,
  }) as unknown as string;
  return { document: frameDocument(clean, options.allowRemote), blockedRemote };
}
