import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.js';

describe('LoginLimiter', () => {
  it('refuses an address after its failures until the oldest one leaves the window; a success forgets them', () => {
    let now = 0;
    const limiter = new LoginLimiter({ perAddress: 3, global: 100, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.check('10.0.0.1')).toEqual({ allowed: true });
      limiter.recordFailure('10.0.0.1');
      now += 1_000;
    }
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: false, scope: 'address', retryAfterSeconds: 57 });
    expect(limiter.check('10.0.0.2')).toEqual({ allowed: true });
    now = 60_001;
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: true });
    limiter.recordSuccess('10.0.0.1');
    expect(limiter.trackedAddresses).toBe(0);
  });

  it('refuses everybody once the agent as a whole saw too many failures', () => {
    let now = 0;
    const limiter = new LoginLimiter({ perAddress: 100, global: 4, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 4; i++) limiter.recordFailure(`10.0.0.${i}`);
    expect(limiter.check('192.168.1.1')).toEqual({ allowed: false, scope: 'global', retryAfterSeconds: 10 });
    now = 10_001;
    expect(limiter.check('192.168.1.1')).toEqual({ allowed: true });
  });

  it('keeps bounded memory under failures from many addresses', () => {
    let now = 0;
    const limiter = new LoginLimiter({ perAddress: 5, global: 1_000_000, windowMs: 60_000, maxAddresses: 50 }, () => now);
    for (let i = 0; i < 10_000; i++) {
      limiter.recordFailure(`a${i}`);
      now += 1;
    }
    expect(limiter.trackedAddresses).toBe(50);
    now += 60_000;
    expect(limiter.trackedAddresses).toBe(0);
  });
});
