/**
 * ENVELOPE, BODY and BODYSTRUCTURE text from a stored MessageStructure, in Dovecot 2.3's exact
 * spelling (lib-imap/imap-envelope.c, imap-bodystructure.c behaviour). Output is a binary string.
 */
import type { Envelope, EnvelopeAddress, MessageStructure, MimePart } from '../../mail/structure.js';
import { nstring, nstringNoLf, stringForHumans } from './quote.js';

const DEFAULT_CHARSET = '"charset" "us-ascii"';

function addresses(list: EnvelopeAddress[] | null): string {
  if (!list || list.length === 0) return 'NIL';
  return `(${list
    .map((a) => `(${a.name === null ? 'NIL' : stringForHumans(a.name)} ${nstringNoLf(a.route)} ${nstringNoLf(a.mailbox)} ${nstringNoLf(a.domain)})`)
    .join('')})`;
}

export function envelopeText(env: Envelope | undefined): string {
  if (!env) return 'NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL';
  return [
    nstringNoLf(env.date),
    env.subject === null ? 'NIL' : stringForHumans(env.subject),
    addresses(env.from),
    addresses(env.sender ?? env.from),
    addresses(env.replyTo ?? env.from),
    addresses(env.to),
    addresses(env.cc),
    addresses(env.bcc),
    nstringNoLf(env.inReplyTo),
    nstringNoLf(env.messageId),
  ].join(' ');
}

/** `(...)` as FETCH ENVELOPE answers. */
export function renderEnvelope(structure: MessageStructure): string {
  return `(${envelopeText(structure.root.envelope)})`;
}

function params(list: Array<[string, string]>, defaultCharset: boolean): string {
  if (!defaultCharset && list.length === 0) return 'NIL';
  const items = list.map(([k, v]) => `${nstring(k)} ${nstring(v)}`);
  if (defaultCharset && !list.some(([k]) => k.toLowerCase() === 'charset')) items.push(DEFAULT_CHARSET);
  return `(${items.join(' ')})`;
}

function common(part: MimePart): string {
  const disposition = part.disposition === null ? 'NIL' : `(${nstring(part.disposition)} ${params(part.dispositionParams, false)})`;
  const language = part.language === null ? 'NIL' : `(${part.language.map(nstring).join(' ')})`;
  return ` ${disposition} ${language} ${nstringNoLf(part.location)}`;
}

function bodyText(part: MimePart, extended: boolean): string {
  if (part.kind === 'multipart') {
    const children =
      part.children.length > 0
        ? part.children.map((c) => `(${bodyText(c, extended)})`).join('')
        : `("text" "plain" (${DEFAULT_CHARSET}) NIL NIL "7bit" 0 0${extended ? ' NIL NIL NIL NIL' : ''})`;
    let out = `${children} ${nstring(part.subtype ?? '')}`;
    if (extended) out += ` ${params(part.params, false)}${common(part)}`;
    return out;
  }
  let out: string;
  let text = false;
  if (part.kind === 'message') out = '"message" "rfc822"';
  else if (part.type === null) {
    text = true;
    out = '"text" "plain"';
  } else {
    text = part.type.toLowerCase() === 'text';
    out = `${nstring(part.type)} ${nstring(part.subtype ?? '')}`;
  }
  out += ` ${params(part.params, text)} ${nstringNoLf(part.id)} ${nstringNoLf(part.description)} ${part.encoding === null ? '"7bit"' : nstring(part.encoding)} ${part.bodyVirtualSize}`;
  if (text) out += ` ${part.bodyLines}`;
  else if (part.kind === 'message') {
    const child = part.children[0];
    out += ` (${envelopeText(child?.envelope)}) (${child ? bodyText(child, extended) : ''}) ${part.bodyLines}`;
  }
  if (extended) out += ` ${nstringNoLf(part.md5)}${common(part)}`;
  return out;
}

/** `(...)` as FETCH BODYSTRUCTURE (extended) or BODY (not extended) answers. */
export function renderBodyStructure(structure: MessageStructure, options: { extended: boolean }): string {
  return `(${bodyText(structure.root, options.extended)})`;
}
