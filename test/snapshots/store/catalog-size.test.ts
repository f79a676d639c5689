/**
 * Catalog bytes per message on ordinary small mail (the corpus generator's 2–5 KB messages, bare and
 * with the trace and signature headers delivered mail carries), measured with SQLite's dbstat:
 * every page of the catalog's tables and indexes after one capture of 300 messages, divided by 300.
 * Not a speed test: the size is deterministic for a given encoding.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import type { MessageRecord, NewBlob } from '../../../src/snapshots/store/catalog.js';
import { SqliteCatalog } from '../../../src/snapshots/store/embedded/sqlite-catalog.js';
import { generateMessage, seededRandom } from '../../../src/testbed/corpus.js';
import { inbox } from './catalog-history.js';

const MESSAGES = 300;

/** Trace and authentication headers as a provider's MTA adds them, different for every message. */
function delivered(index: number, raw: Buffer): Buffer {
  const rng = seededRandom(index + 17);
  const id = () => Math.floor(rng() * 2 ** 32).toString(36).toUpperCase();
  const ip = () => [10, Math.floor(rng() * 255), Math.floor(rng() * 255), Math.floor(rng() * 255)].join('.');
  const date = `Thu, ${1 + (index % 28)} Jan 2026 ${String(index % 24).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}:17 +0000`;
  const bh = createHash('sha256').update(`bh${index}`).digest('base64');
  const b = Buffer.concat([createHash('sha512').update(`b${index}`).digest(), createHash('sha512').update(`c${index}`).digest()]).toString('base64');
  const trace = [
    `Return-Path: <sender${index % 40}@example.org>`,
    `Delivered-To: frank@example.com`,
    `Received: from mx.example.com ([${ip()}])\r\n\tby imap.example.com with LMTP id ${id()}\r\n\tfor <frank@example.com>; ${date}`,
    `Received: from mail-out.example.org (mail-out.example.org [${ip()}])\r\n\tby mx.example.com (Postfix) with ESMTPS id ${id()}\r\n\tfor <frank@example.com>; ${date}`,
    `Authentication-Results: mx.example.com;\r\n\tdkim=pass header.d=example.org header.s=s1 header.b=${b.slice(0, 8)};\r\n\tspf=pass smtp.mailfrom=example.org;\r\n\tdmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.org`,
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1; t=${1767225600 + index};\r\n\th=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type; bh=${bh};\r\n\tb=${b.slice(0, 76)}\r\n\t${b.slice(76, 152)}`,
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${trace}\r\n`), raw]);
}

async function bytesPerMessage(corpus: (index: number) => Buffer): Promise<{ catalog: number; blobs: number }> {
  const file = join(mkdtempSync(join(tmpdir(), 'mtm-catalog-size-')), 'catalog.sqlite');
  const catalog = new SqliteCatalog(file);
  const { capture } = await catalog.startCapture('size', '2026-05-01');
  const blobs: NewBlob[] = [];
  const messages: MessageRecord[] = [];
  for (let index = 0; index < MESSAGES; index++) {
    const raw = corpus(index);
    const structure = await analyzeMessage(raw);
    const hash = createHash('sha256').update(raw).digest('hex');
    blobs.push({ blob: { hash, size: raw.length, storedBytes: raw.length }, structure, header: Buffer.from(raw.subarray(0, structure.headerLength)) });
    messages.push({ uid: index + 1, flags: index % 5 ? ['\\Seen'] : [], internalDate: new Date(Date.UTC(2026, 0, 1, 0, index)), size: raw.length, blobHash: hash });
  }
  await catalog.addBlobs('size', blobs, capture);
  await catalog.recordFolder(capture, inbox(messages), messages);
  await catalog.commitCapture(capture);
  // Each message reads back as it went in.
  const headers = await catalog.blobHeaders('size', messages.map((m) => m.blobHash));
  for (const { blob, structure, header } of blobs) {
    expect(headers.get(blob.hash)!.equals(header!)).toBe(true);
    expect(await catalog.blobStructure('size', blob.hash)).toEqual(structure);
  }
  await catalog.close();
  const db = new Database(file, { readonly: true });
  try {
    const pages = (names: string) => (db.prepare(`SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat WHERE name IN (${names})`).get() as { bytes: number }).bytes;
    const versions = "'message_versions', 'message_versions_live', 'message_versions_by_seq', 'message_versions_by_blob', 'folder_versions', 'folder_versions_live'";
    return { catalog: Math.round(pages(`${versions}, 'blobs'`) / MESSAGES), blobs: Math.round(pages("'blobs'") / MESSAGES) };
  } finally {
    db.close();
  }
}

test('ordinary small mail costs well under a kilobyte of catalog per message', async () => {
  const bare = await bytesPerMessage((index) => generateMessage(index, 1, { minBytes: 2000, maxBytes: 5000 }));
  const withTrace = await bytesPerMessage((index) => delivered(index, generateMessage(index, 1, { minBytes: 2000, maxBytes: 5000 })));
  // The numbers behind docs/performance.md, "Catalog layout".
  console.log(`catalog bytes per message: corpus mail ${JSON.stringify(bare)}, with trace headers ${JSON.stringify(withTrace)}`);
  expect(bare.catalog).toBeLessThan(1000);
  expect(withTrace.catalog).toBeLessThan(1500);
});
