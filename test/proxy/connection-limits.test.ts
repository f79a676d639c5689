import fc from 'fast-check';
import { ConnectionLimits } from '../../src/proxy/connection-limits.js';

/** An IPv6 address as eight groups, written in full or with the longest zero run as `::`. */
const ipv6Groups = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });

function writeIpv6(groups: number[], compress: boolean): string {
  const hex = groups.map((group) => group.toString(16));
  if (!compress) return hex.join(':');
  let best = { start: -1, length: 0 };
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > best.length) best = { start, length };
  }
  if (best.length < 2) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

describe('ConnectionLimits', () => {
  test('IPv6 clients are counted by /64: any addresses of one /64 share the per-client limit', () => {
    fc.assert(
      fc.property(ipv6Groups, fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }), fc.boolean()), { minLength: 4, maxLength: 4 }), (prefix, hosts) => {
        const limits = new ConnectionLimits(3, 100);
        const addresses = hosts.map(([host, compress]) => writeIpv6([...prefix.slice(0, 4), ...host], compress));
        expect(addresses.slice(0, 3).map((address) => limits.admit(address).admitted)).toEqual([true, true, true]);
        expect(limits.admit(addresses[3])).toEqual({ admitted: false, reason: 'client' });
      }),
    );
  });

  test('IPv6 addresses of different /64s and distinct IPv4 addresses are separate clients', () => {
    fc.assert(
      fc.property(fc.uniqueArray(ipv6Groups, { minLength: 2, maxLength: 6, selector: (groups) => groups.slice(0, 4).join(':') }), fc.ipV4(), (networks, ipv4) => {
        const limits = new ConnectionLimits(1, 100);
        for (const groups of networks) expect(limits.admit(writeIpv6(groups, true)).admitted).toBe(true);
        expect(limits.admit(ipv4).admitted).toBe(true);
        // IPv4 is per address; the mapped form a dual-stack listener reports is the same client.
        expect(limits.admit(`::ffff:${ipv4}`)).toEqual({ admitted: false, reason: 'client' });
      }),
    );
  });

  test('the total limit holds whatever the addresses, and released connections make room again', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (addresses, maxTotal) => {
        const limits = new ConnectionLimits(1000, maxTotal);
        const admitted = addresses.map((address) => limits.admit(address));
        expect(admitted.filter((entry) => entry.admitted)).toHaveLength(Math.min(addresses.length, maxTotal));
        for (const entry of admitted.slice(maxTotal)) expect(entry).toEqual({ admitted: false, reason: 'total' });
        for (const entry of admitted) if (entry.admitted) limits.release(entry.client);
        expect(limits.open).toBe(0);
        expect(limits.admit(addresses[0]).admitted).toBe(true);
      }),
    );
  });
});
