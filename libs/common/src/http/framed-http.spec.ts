import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { capcFrameParts, encodeCapcFrames } from '@conclave/contracts';
import { postFrames } from './framed-http.js';

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('postFrames (framed calls between services)', () => {
  it('posts a framed body part by part (the same bytes as encodeCapcFrames) and reads the whole answer', async () => {
    const seen: Array<{ type?: string; length?: string; auth?: string; body: Buffer }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({
          type: req.headers['content-type'],
          length: req.headers['content-length'],
          auth: req.headers.authorization,
          body,
        });
        res.writeHead(req.url === '/refuse' ? 409 : 200);
        res.end(req.url === '/big' ? Buffer.alloc(2000) : body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const frames = [bytes(100_000, 1), new Uint8Array(0), bytes(7, 2)];
      const expected = Buffer.from(encodeCapcFrames({ round: 2 }, frames));
      expect(capcFrameParts({ round: 2 }, frames).byteLength).toBe(expected.length);
      const answer = await postFrames(`${url}/echo`, { round: 2 }, frames, {
        headers: { authorization: 'Bearer k' },
        maxAnswerBytes: 1 << 20,
      });
      expect(answer.status).toBe(200);
      expect(Buffer.from(answer.body)).toEqual(expected);
      expect(seen[0]).toEqual({
        type: 'application/octet-stream',
        length: String(expected.length),
        auth: 'Bearer k',
        body: expected,
      });
      expect((await postFrames(`${url}/refuse`, {}, [], { maxAnswerBytes: 100 })).status).toBe(409);
      await expect(postFrames(`${url}/big`, {}, [], { maxAnswerBytes: 1000 })).rejects.toThrow('larger');
      await expect(
        postFrames('http://127.0.0.1:1/none', {}, [], { maxAnswerBytes: 10, timeoutMs: 2000 }),
      ).rejects.toThrow();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
  it('sends a request again, once, on a new connection when a kept-alive one is reset before any answer', async () => {
    const served = new WeakSet<object>();
    let mode: 'reset-reused' | 'reset-all' = 'reset-reused';
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        // As a server closing an idle kept-alive connection just as the request arrives: no answer at all.
        if (mode === 'reset-all' || served.has(req.socket)) {
          req.socket.destroy();
          return;
        }
        served.add(req.socket);
        res.end(Buffer.from('ok'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    try {
      expect((await postFrames(url, {}, [bytes(10, 3)], { maxAnswerBytes: 100 })).status).toBe(200);
      expect(requests).toBe(1);
      // The next call reuses the connection, which is reset: sent again on a new connection, answered.
      expect((await postFrames(url, {}, [bytes(10, 3)], { maxAnswerBytes: 100 })).status).toBe(200);
      expect(requests).toBe(3);
      // Reset every time: one retry, then the error.
      mode = 'reset-all';
      await expect(postFrames(url, {}, [bytes(10, 3)], { maxAnswerBytes: 100 })).rejects.toThrow('socket hang up');
      expect(requests).toBe(5);
      // A reset of a new connection is not retried.
      await expect(postFrames(url, {}, [bytes(10, 3)], { maxAnswerBytes: 100 })).rejects.toThrow('socket hang up');
      expect(requests).toBe(6);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
