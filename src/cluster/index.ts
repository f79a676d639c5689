/**
 * Serving IMAP from several processes (server.workers): a worker process's entry. The primary's
 * pool (primary.ts) is wired by src/service.ts, which the worker also builds on.
 */
export { serveAsWorker } from './worker.js';
