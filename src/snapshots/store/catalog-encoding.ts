/**
 * The compact encoding of the per-blob metadata both catalogs keep (the header block and the
 * MessageStructure): raw deflate with preset dictionaries, because on ordinary small mail these
 * two were most of the catalog (about 1.5 KB a message as header bytes + JSON text, spilling to
 * overflow pages), while inflating a kilobyte costs microseconds per read.
 * - header: deflateRaw with a dictionary of common header field names and values;
 * - structure: JSON, deflateRaw with a dictionary of the structure's keys and common values
 *   followed by the message's own header block: the envelope repeats the header's strings, which
 *   then cost a back-reference each.
 * Each encoded value starts with a format byte, so a later encoding can be told apart. Rows written
 * before (structure as JSON text, header raw in its own column) stay as they are and are read by
 * type: the catalogs keep reading both.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { MessageStructure } from '../../mail/structure.js';

const FORMAT_DEFLATE_V1 = 1;

/** Later entries are cheapest to refer to (closest to the data), so the commonest come last. */
const HEADER_DICTIONARY = Buffer.from(
  [
    'X-MS-Exchange-Organization-', 'X-MS-Has-Attach: \r\nX-MS-TNEF-Correlator: \r\n', 'Thread-Topic: ', 'Thread-Index: ',
    'X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n        d=1e100.net; s=20230601; t=',
    'X-Gm-Message-State: ', 'X-Received: by 2002:a05:', ' with SMTP id ', 'ARC-Authentication-Results: i=1; ',
    'ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=', 'ARC-Seal: i=1; a=rsa-sha256; t=', '; cv=none;',
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n', 'List-Unsubscribe: <mailto:', 'List-Id: ', 'Precedence: bulk\r\n',
    'X-Spam-Status: No, score=', 'X-Spam-Flag: NO\r\n', 'X-Virus-Scanned: ', 'User-Agent: ', 'X-Mailer: ',
    'Received-SPF: pass (', 'Authentication-Results: ', ' dkim=pass header.d=', ' spf=pass smtp.mailfrom=', ' dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=',
    'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=', '; s=', '; t=', ';\r\n\th=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type; bh=', ';\r\n\tb=',
    '(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)', ' (envelope-from <', '>)\r\n', ' (Postfix) with ESMTPS id ', ' with ESMTP id ', ' with LMTP id ',
    'Received: from ', 'localhost', '.localdomain', ' ([127.0.0.1])\r\n\tby ', '\r\n\tfor <', '>; ', 'Return-Path: <', 'Delivered-To: ',
    'Content-Disposition: attachment; filename="', 'Content-Transfer-Encoding: base64\r\n', 'Content-Transfer-Encoding: 8bit\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n',
    'Content-Type: multipart/mixed; boundary="', 'Content-Type: multipart/alternative; boundary="', 'Content-Type: text/html; charset="UTF-8"\r\n',
    'Content-Type: text/plain; charset="UTF-8"\r\n', 'Content-Language: en-US\r\n', 'References: <', 'In-Reply-To: <',
    ' Jan ', ' Feb ', ' Mar ', ' Apr ', ' May ', ' Jun ', ' Jul ', ' Aug ', ' Sep ', ' Oct ', ' Nov ', ' Dec ',
    'Mon, ', 'Tue, ', 'Wed, ', 'Thu, ', 'Fri, ', 'Sat, ', 'Sun, ', ' +0100', ' -0500', ' +0000 (UTC)', ' +0000',
    '@gmail.com', '@example.com', '.invalid>', 'Cc: ', 'Reply-To: ', 'Message-ID: <', 'Date: ', 'To: ', 'From: ', 'Subject: Re: ', 'Subject: ',
    'MIME-Version: 1.0\r\n', 'Content-Type: text/plain; charset=utf-8\r\n', 'Content-Transfer-Encoding: 7bit\r\n',
  ].join(''),
  'latin1',
);

const STRUCTURE_DICTIONARY = Buffer.from(
  '"type":"application","subtype":"pdf","type":"image","subtype":"jpeg","subtype":"octet-stream",' +
    '"disposition":"attachment","dispositionParams":[["filename",""]],"encoding":"base64","encoding":"quoted-printable","encoding":"8bit",' +
    '"kind":"multipart","kind":"message","type":"message","subtype":"rfc822","kind":"other","type":"multipart","subtype":"mixed","subtype":"related",' +
    '"subtype":"alternative","params":[["boundary",""]],"subtype":"html","params":[["charset","UTF-8"]],"cc":[{"name":' +
    '{"version":3,"size":,"virtualSize":,"headerLength":,"root":{"kind":"text","headerStart":0,"bodyStart":,"bodyEnd":,"bodyLines":,' +
    '"bodyVirtualSize":,"headerLines":,"headerVirtualSize":,"type":"text","subtype":"plain","params":[["charset","utf-8"]],' +
    '"id":null,"description":null,"encoding":"7bit","md5":null,"disposition":null,"dispositionParams":[],"language":null,"location":null,"children":[],' +
    '"envelope":{"date":"","subject":"","from":[{"name":"","route":null,"mailbox":"","domain":""}],"sender":null,"replyTo":null,' +
    '"to":[{"name":"","route":null,"mailbox":"","domain":""}],"cc":null,"bcc":null,"inReplyTo":null,"messageId":"<',
  'latin1',
);

/** zlib takes a dictionary of at most 32 KB; the end (the header, when there is one) matters most. */
const MAX_DICTIONARY = 32 * 1024;

function structureDictionary(header: Buffer | null): Buffer {
  if (!header || header.length === 0) return STRUCTURE_DICTIONARY;
  const both = Buffer.concat([STRUCTURE_DICTIONARY, header]);
  return both.length > MAX_DICTIONARY ? both.subarray(both.length - MAX_DICTIONARY) : both;
}

function withFormat(body: Buffer): Buffer {
  return Buffer.concat([Buffer.of(FORMAT_DEFLATE_V1), body]);
}

function body(stored: Buffer, what: string): Buffer {
  if (stored[0] !== FORMAT_DEFLATE_V1) throw new Error(`catalog ${what} in unknown format ${stored[0]}`);
  return stored.subarray(1);
}

export function encodeHeader(header: Buffer): Buffer {
  return withFormat(deflateRawSync(header, { level: 9, dictionary: HEADER_DICTIONARY }));
}

export function decodeHeader(stored: Buffer): Buffer {
  return inflateRawSync(body(stored, 'header'), { dictionary: HEADER_DICTIONARY });
}

/** `header`: the blob's raw header block when it has one (the same bytes encodeHeader was given). */
export function encodeStructure(structure: MessageStructure, header: Buffer | null): Buffer {
  return withFormat(deflateRawSync(Buffer.from(JSON.stringify(structure)), { level: 9, dictionary: structureDictionary(header) }));
}

/** Either encoding: JSON text (rows written before the compact encoding) or encodeStructure's bytes. */
export function decodeStructure(stored: string | Buffer, header: Buffer | null): MessageStructure {
  if (typeof stored === 'string') return JSON.parse(stored) as MessageStructure;
  return JSON.parse(inflateRawSync(body(stored, 'structure'), { dictionary: structureDictionary(header) }).toString()) as MessageStructure;
}
