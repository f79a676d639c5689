/**
 * The public surface of src/doctor: `mtm doctor`'s checks, and the reachability probes the HTTP
 * readiness endpoint shares with it (one probe per dependency, so both report the same thing).
 */
export { runDoctor, formatChecks, MIN_FREE_BYTES, CERT_WARNING_DAYS, type CheckStatus, type DoctorCheck } from './doctor.js';
export { probeLiveServer, probeRedis, type ProbeResult } from './probes.js';
