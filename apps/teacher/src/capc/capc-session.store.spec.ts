import { describe, expect, it } from '@jest/globals';
import { CapcSessionStore, type CapcSession } from './capc-session.store.js';

const session = (id: string): Omit<CapcSession, 'expiresAt'> => ({
  id,
  jobId: 'job',
  queries: 1,
  partitions: 1,
  classes: 2,
  modulus: 7,
  shares: [Uint32Array.of(1, 2)],
  parties: null,
  outgoing: null,
  round: 0,
  done: false,
  failed: false,
});

describe('CapcSessionStore (teacher, confidential mode)', () => {
  it('keeps sessions until deleted and refuses unknown ones', () => {
    const store = new CapcSessionStore({ maxSessions: 4, ttlMs: 1000 });
    store.create(session('s1'));
    expect(store.get('s1').jobId).toBe('job');
    store.delete('s1');
    expect(() => store.get('s1')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => store.get('never')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('refuses a session id used before, even after it finished or expired (replay)', () => {
    let now = 0;
    const store = new CapcSessionStore({ maxSessions: 4, ttlMs: 1000 }, () => now);
    store.create(session('s1'));
    expect(() => store.create(session('s1'))).toThrow(expect.objectContaining({ code: 'REPLAY_DETECTED' }));
    store.delete('s1');
    expect(() => store.create(session('s1'))).toThrow(expect.objectContaining({ code: 'REPLAY_DETECTED' }));
    store.create(session('s2'));
    now = 5000;
    expect(() => store.get('s2')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => store.create(session('s2'))).toThrow(expect.objectContaining({ code: 'REPLAY_DETECTED' }));
  });

  it('bounds the sessions in progress; expired ones free their place', () => {
    let now = 0;
    const store = new CapcSessionStore({ maxSessions: 2, ttlMs: 1000 }, () => now);
    store.create(session('a'));
    store.create(session('b'));
    expect(() => store.create(session('c'))).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    expect(store.size).toBe(2);
    now = 999;
    expect(store.get('a').id).toBe('a'); // not yet expired
    now = 1000;
    store.create(session('c')); // a and b expired, swept, with their shares
    expect(store.size).toBe(1);
  });
});
