import { jest } from '@jest/globals';
import { LiveLoginService } from '../../src/auth/live-login-service.js';
import type { Verification } from '../../src/upstream/index.js';
import type { LoginResult } from '../../src/proxy/ports.js';

/** Lets pending I/O callbacks and promise chains run (setImmediate is left real). */
async function flush(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('failed logins are answered late', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('a rejected password is answered only after the failure delay', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    let markVerified: () => void = () => undefined;
    const verified = new Promise<void>((resolve) => (markVerified = resolve));
    // A stand-in verifier: this test is about the delay, not about the live server.
    const verify = async (): Promise<Verification> => {
      markVerified();
      return { result: 'rejected', detail: 'stand-in' };
    };
    const service = new LiveLoginService(async () => null, {
      upstream: { host: '127.0.0.1', port: 1, tls: 'none' },
      failureDelayMs: 60_000,
      verify,
    });
    let answer: LoginResult | undefined;
    const pending = service.login('delay-alice', 'wrong', '192.0.2.44').then((result) => (answer = result));
    await verified;
    await flush();
    expect(answer).toBeUndefined();
    jest.advanceTimersByTime(60_000);
    await pending;
    expect(answer).toEqual({ ok: false, code: 'AUTHENTICATIONFAILED', text: 'Invalid credentials' });
    await service.close();
  });
});
