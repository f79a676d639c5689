/**
 * How a client's network address is counted by the limits (connections per client in the IMAP
 * server, failed logins in src/auth): one function, so both agree on who "one client" is.
 */
import { isIPv6 } from 'node:net';

/**
 * The unit one client is counted by: an IPv4 address (also when written IPv4-mapped, as a
 * dual-stack listener reports it), or the /64 of an IPv6 address, since one host usually owns a
 * whole /64 and could otherwise rotate through addresses to dodge a limit.
 */
export function addressBlock(address: string): string {
  const mapped = unmappedIpv4(address);
  if (mapped) return mapped;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = address.includes('::') ? [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups] : headGroups;
  return `${groups.slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * The address as the client itself knows it: `::ffff:192.0.2.1` (how a dual-stack listener
 * reports an IPv4 peer) becomes `192.0.2.1`; anything else is returned unchanged.
 */
export function plainAddress(address: string): string {
  return unmappedIpv4(address) ?? address;
}

function unmappedIpv4(address: string): string | null {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? null;
}
