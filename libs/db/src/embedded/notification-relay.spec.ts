import { describe, expect, it } from '@jest/globals';
import { NotificationSplitter } from './notification-relay.js';

/** A backend message: type byte, int32 length (itself included), body. */
function message(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

function notification(channel: string, payload: string): Uint8Array {
  const text = new TextEncoder().encode(`${channel}\0${payload}\0`);
  const body = new Uint8Array(4 + text.length);
  new DataView(body.buffer).setUint32(0, 4242); // the notifying backend's pid
  body.set(text, 4);
  return message('A', body);
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

function run(stream: Uint8Array, chunkSizes: (index: number) => number) {
  const passed: Uint8Array[] = [];
  const notified: Uint8Array[] = [];
  const splitter = new NotificationSplitter(
    (data) => passed.push(data.slice()),
    (m) => notified.push(m.slice()),
  );
  for (let i = 0, k = 0; i < stream.length; k++) {
    const n = Math.max(1, chunkSizes(k));
    splitter.push(stream.subarray(i, i + n));
    i += n;
  }
  return { passed: concat(passed), notified };
}

describe('NotificationSplitter', () => {
  const complete = message('C', new TextEncoder().encode('COMMIT\0'));
  const ready = message('Z', new TextEncoder().encode('I'));
  const empty = message('1', new Uint8Array(0)); // ParseComplete: a message with no body
  const n1 = notification('pgboss_labeling', 'x');
  const n2 = notification('other', '{"a":1}');
  const stream = concat([empty, complete, n1, n2, ready, empty]);
  const expectedPassed = concat([empty, complete, ready, empty]);

  it.each([
    ['the whole stream at once', () => stream.length],
    ['one byte at a time', () => 1],
    ['chunks of 3', () => 3],
    ['chunks of 7', () => 7],
    ['uneven chunks', (k: number) => [2, 9, 1, 4, 13][k % 5]!],
  ])('takes every notification out whole and passes the rest on in order: %s', (_name, sizes) => {
    const { passed, notified } = run(stream, sizes);
    expect(Buffer.from(passed).equals(Buffer.from(expectedPassed))).toBe(true);
    expect(notified.map((m) => Buffer.from(m).toString('hex'))).toEqual([
      Buffer.from(n1).toString('hex'),
      Buffer.from(n2).toString('hex'),
    ]);
  });

  it('passes a stream without notifications through unchanged, chunk for chunk', () => {
    const plain = concat([complete, ready]);
    const { passed, notified } = run(plain, () => 5);
    expect(Buffer.from(passed).equals(Buffer.from(plain))).toBe(true);
    expect(notified).toHaveLength(0);
  });

  it('does not take a message body byte that happens to be "A" for a notification', () => {
    const tricky = concat([message('D', new TextEncoder().encode('AAAA')), ready]);
    const { passed, notified } = run(tricky, () => 2);
    expect(Buffer.from(passed).equals(Buffer.from(tricky))).toBe(true);
    expect(notified).toHaveLength(0);
  });
});
