import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { decodeCapcFrames, encodeCapcFrames, readCapcRequestBody, type CapcBodySource } from './capc-frames.js';

const limits = { maxFrames: 8, maxFrameBytes: 1000 };

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('capc framed bodies', () => {
  it('round-trips a header and frames (empty frames too), frames as views of the body', () => {
    const frames = [bytes(10, 1), new Uint8Array(0), bytes(1000, 2)];
    const body = encodeCapcFrames({ batchId: 'b', firstOrdinal: 3, nested: { ok: true } }, frames);
    const decoded = decodeCapcFrames(body, limits);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.header).toEqual({ batchId: 'b', firstOrdinal: 3, nested: { ok: true } });
    expect(decoded.frames.map((f) => Buffer.from(f))).toEqual(frames.map((f) => Buffer.from(f)));
    expect(decoded.frames[2]!.buffer).toBe(body.buffer);
    const none = decodeCapcFrames(encodeCapcFrames({}, []), limits);
    expect(none).toEqual({ ok: true, header: {}, frames: [] });
  });

  it('refuses anything but exactly one header object and the announced frames', () => {
    const body = encodeCapcFrames({ a: 1 }, [bytes(20, 3), bytes(5, 4)]);
    const reason = (b: Uint8Array) => {
      const decoded = decodeCapcFrames(b, limits);
      return decoded.ok ? 'ok' : decoded.reason;
    };
    expect(reason(body)).toBe('ok');
    expect(reason(body.subarray(0, body.length - 1))).toBe('malformed'); // truncated
    expect(reason(Buffer.concat([body, Buffer.of(0)]))).toBe('malformed'); // trailing bytes
    expect(reason(new Uint8Array(3))).toBe('malformed');
    const wrongMagic = Buffer.from(body);
    wrongMagic[0] = 0x58;
    expect(reason(wrongMagic)).toBe('malformed');
    const wrongVersion = Buffer.from(body);
    wrongVersion[4] = 2;
    expect(reason(wrongVersion)).toBe('malformed');
    const moreFrames = Buffer.from(body);
    const countAt = 12 + moreFrames.readUInt32LE(8);
    moreFrames.writeUInt32LE(3, countAt); // says 3 frames, holds 2
    expect(reason(moreFrames)).toBe('malformed');
    const longFrame = Buffer.from(body);
    longFrame.writeUInt32LE(0xffffffff, countAt + 4);
    expect(reason(longFrame)).toBe('too-large');
    const notJson = Buffer.from(body);
    notJson[12] = 0x7b + 1; // '|' instead of '{'
    expect(reason(notJson)).toBe('malformed');
    expect(reason(encodeCapcFrames([1, 2] as unknown as object, []))).toBe('malformed'); // not an object
    expect(
      reason(
        encodeCapcFrames(
          {},
          Array.from({ length: 9 }, () => bytes(1, 0)),
        ),
      ),
    ).toBe('malformed');
    const tooLarge = decodeCapcFrames(encodeCapcFrames({}, [bytes(1, 0), bytes(1001, 0)]), limits);
    expect(tooLarge).toMatchObject({ ok: false, reason: 'too-large', frame: 1 });
    expect(
      decodeCapcFrames(encodeCapcFrames({ big: 'x'.repeat(100) }, []), { ...limits, maxHeaderBytes: 50 }),
    ).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('reads a request body up to its limit, and reports (without keeping) a larger one', async () => {
    const send = (chunks: Uint8Array[], max: number) => {
      const source = new EventEmitter();
      const read = readCapcRequestBody(source as unknown as CapcBodySource, max);
      for (const chunk of chunks) source.emit('data', chunk);
      source.emit('end');
      return read;
    };
    expect(Buffer.from((await send([bytes(10, 1), bytes(20, 2)], 30))!)).toEqual(
      Buffer.concat([bytes(10, 1), bytes(20, 2)]),
    );
    expect(await send([bytes(10, 1), bytes(21, 2)], 30)).toBeNull();
    expect((await send([], 30))!.length).toBe(0);
    const failing = new EventEmitter();
    const read = readCapcRequestBody(failing as unknown as CapcBodySource, 10);
    failing.emit('error', new Error('reset'));
    await expect(read).rejects.toThrow('reset');
  });
});
