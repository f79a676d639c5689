/**
 * A mail's HTML made safe to show: DOMPurify removes scripts, event handlers and javascript: URLs;
 * on top of that, every reference to another host (img src/srcset, background attributes, CSS
 * url()) is dropped unless the user asked for this message's remote images, so opening a mail does
 * not tell its sender that (and when) it was read. `cid:` images become data: URLs of the message's
 * own parts. The result goes into an iframe sandboxed without scripts and without same-origin, with
 * a Content-Security-Policy of its own that allows no request except (when asked) images.
 */
import DOMPurify from 'dompurify';

/** An http(s) URL, also written protocol-relative or with backslashes (browsers read `http:\\host` as `http://host`). */
const REMOTE = /^\s*(https?:)?[\\/]{2}/i;
const INLINE_IMAGE = /^\s*data:image\//i;
const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)/gi;

/**
 * What a reference to an image or background becomes: a `cid:` part as its data: URL, an inline
 * data: image as is, a remote URL only when remote images are allowed; anything else (relative
 * names, other schemes) is dropped. null = drop.
 */
function allowedReference(value: string, allowRemote: boolean, cid: Map<string, string>): string | null {
  const trimmed = value.trim();
  if (/^cid:/i.test(trimmed)) return cid.get(trimmed.slice(4)) ?? null;
  if (INLINE_IMAGE.test(trimmed)) return trimmed;
  if (allowRemote && REMOTE.test(trimmed)) return trimmed;
  return null;
}

export interface SafeHtml {
  document: string;
  blockedRemote: number;
}

/** CSS with its escapes (`\\72` = "r", `\\(` = "(") written out, so `u\\72l(…)` cannot hide a url(). */
function unescapeCss(css: string): string {
  if (!css.includes('\\')) return css;
  return css.replace(/\\([0-9a-f]{1,6})\s?|\\([^\n0-9a-f])/gi, (_match, hex: string | undefined, char: string | undefined) => {
    if (hex === undefined) return char!;
    const code = parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
  });
}

/** A quoted string that is a URL (as `image-set("…" 1x)` takes them): kept only as url() would be. */
const CSS_URL_STRING = /(['"])\s*((?:https?:)?[\\/]{2}[^'"]*|[a-z][a-z0-9+.-]*:[^'"\s]*)\1/gi;

function scrubCss(css: string, allowRemote: boolean, cid: Map<string, string>, count: () => void): string {
  const drop = (target: string): string | null => {
    const kept = allowedReference(target, allowRemote, cid);
    if (kept === null && REMOTE.test(target)) count();
    return kept === null ? null : kept.replace(/["\\\n]/g, '');
  };
  return unescapeCss(css)
    .replace(/@import[^;]*;?/gi, '')
    .replace(CSS_URL, (_match, _quote, target: string) => {
      const kept = drop(target);
      return kept === null ? 'none' : `url("${kept}")`;
    })
    .replace(CSS_URL_STRING, (match, _quote, target: string) => {
      if (/^data:image\//i.test(target)) return match;
      const kept = drop(target);
      return kept === null ? '""' : `"${kept}"`;
    });
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
      const kept = allowedReference(value, options.allowRemote, options.cid);
      if (kept === null) {
        element.removeAttribute(name);
        if (REMOTE.test(value)) count();
      } else {
        element.setAttribute(name, kept);
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
    FORBID_TAGS: ['form', 'input', 'button', 'textarea', 'select', 'link', 'meta', 'base', 'iframe', 'frame', 'object', 'embed', 'audio', 'video', 'source', 'track'],
    FORBID_ATTR: ['action', 'formaction', 'ping'],
    ADD_TAGS: ['style'],
    FORCE_BODY: true,
  }) as unknown as string;
  return { document: frameDocument(clean, options.allowRemote), blockedRemote };
}
