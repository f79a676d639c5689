/**
 * How `upstream.tls` (none | starttls | implicit) becomes imapflow's connection options: one
 * mapping for every client of the live server (snapshots, login checks, restores, doctor).
 */
export type UpstreamTlsMode = 'none' | 'starttls' | 'implicit';

export function imapTransportOptions(mode: UpstreamTlsMode, rejectUnauthorized = true, servername?: string) {
  return {
    secure: mode === 'implicit',
    // `starttls` insists on the upgrade; `none` never attempts it.
    doSTARTTLS: mode === 'starttls' ? true : mode === 'none' ? false : undefined,
    ...(servername ? { servername } : {}),
    tls: { rejectUnauthorized },
  };
}
