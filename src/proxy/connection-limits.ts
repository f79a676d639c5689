/**
 * How many IMAP connections may be open: per client (one IPv4 address, or one IPv6 /64 — see
 * addressBlock) and in all. The server asks before it starts a session and reports each end.
 */
import { addressBlock } from '../client-address.js';

export type Admission = { admitted: true; client: string } | { admitted: false; reason: 'total' | 'client' };

/**
 * What the IMAP server asks before a session starts and tells when it ends: ConnectionLimits in
 * one process; with several serving processes, the primary's limits asked over IPC
 * (src/cluster), so the limits hold for the server as a whole, not per process.
 */
export interface ConnectionAdmission {
  admit(address: string): Admission | Promise<Admission>;
  release(client: string): void;
}

export class ConnectionLimits implements ConnectionAdmission {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(
    private readonly maxPerClient: number,
    private readonly maxTotal: number,
  ) {}

  /** Counts a new connection from `address` if both limits allow it; `client` is what to release. */
  admit(address: string): Admission {
    if (this.total >= this.maxTotal) return { admitted: false, reason: 'total' };
    const client = addressBlock(address);
    const count = this.perClient.get(client) ?? 0;
    if (count >= this.maxPerClient) return { admitted: false, reason: 'client' };
    this.perClient.set(client, count + 1);
    this.total++;
    return { admitted: true, client };
  }

  /** A connection admitted for `client` has ended. */
  release(client: string): void {
    const left = (this.perClient.get(client) ?? 0) - 1;
    if (left > 0) this.perClient.set(client, left);
    else this.perClient.delete(client);
    this.total = Math.max(0, this.total - 1);
  }

  /** Open connections of the client `address` belongs to. */
  openFor(address: string): number {
    return this.perClient.get(addressBlock(address)) ?? 0;
  }

  get open(): number {
    return this.total;
  }
}
