/**
 * Our IMAP server in its own process, as the bench's peer to Dovecot's processes: the load
 * generator must not share an event loop (or a heap) with the server it measures. Driven over IPC.
 */
import { readFileSync } from 'node:fs';
import { validateConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import { startService } from '../service.js';
import { openStore } from '../snapshots/store/store.js';

export type ChildRequest = { type: 'memory' } | { type: 'stop' };
export type ChildReply =
  | { type: 'listening'; port: number }
  | { type: 'memory'; rss: number; heapUsed: number; connections: number };

// Port 0: several bench servers (and the tests) must not fight over the health/metrics port.
const config = validateConfig({ ...JSON.parse(readFileSync(process.argv[2], 'utf8')), http: { host: '127.0.0.1', port: 0 } }, process.argv[2]);
const store = await openStore(config.store);
const service = await startService(config, store, silentLogger, { scheduler: false });
const reply = (message: ChildReply) => process.send?.(message);
reply({ type: 'listening', port: service.imap.port });

process.on('message', (request: ChildRequest) => {
  if (request.type === 'memory') {
    // Measure what is retained, not garbage waiting for the next collection.
    (globalThis as { gc?: () => void }).gc?.();
    reply({ type: 'memory', rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, connections: service.imap.connectionCount() });
  } else if (request.type === 'stop') {
    void service.stop().finally(async () => {
      await store.close();
      process.exit(0);
    });
  }
});
