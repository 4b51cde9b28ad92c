import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { applyDecorators, StreamableFile } from '@nestjs/common';
import { ApiConsumes, ApiProduces } from '@nestjs/swagger';
import { CAPC_FRAMED_CONTENT_TYPE, capcFrameParts, readCapcRequestBody, type CapcFramed } from '@conclave/contracts';
import { DomainError } from '../errors/domain.error.js';

/** Keep-alive agents of postFrames (one connection pool per process, as fetch has). */
const AGENTS = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export interface FramedPostOptions {
  /** Extra request headers (authorization, correlation id). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Largest answer read (bytes); a larger one fails the call. */
  maxAnswerBytes: number;
}

/**
 * POSTs a framed body (libs/contracts capc-frames) and reads the whole answer, whatever its status (the caller
 * decodes a framed answer or a JSON refusal). Written part by part over node:http: the frames are neither
 * concatenated nor copied into a fetch body. Rejects on network failure, timeout or an answer above `maxAnswerBytes`.
 */
export function postFrames(
  url: string,
  header: object,
  frames: readonly Uint8Array[],
  options: FramedPostOptions,
): Promise<{ status: number; body: Uint8Array; sentBytes: number }> {
  const { parts, byteLength } = capcFrameParts(header, frames);
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const signal = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const attempt = (mayRetry: boolean): Promise<{ status: number; body: Uint8Array; sentBytes: number }> =>
    new Promise((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          agent: secure ? AGENTS.https : AGENTS.http,
          headers: {
            ...options.headers,
            'content-type': CAPC_FRAMED_CONTENT_TYPE,
            accept: CAPC_FRAMED_CONTENT_TYPE,
            'content-length': String(byteLength),
          },
          signal,
        },
        (response) => {
          readCapcRequestBody(response, options.maxAnswerBytes).then((body) => {
            if (body) resolve({ status: response.statusCode ?? 0, body, sentBytes: byteLength });
            else reject(new Error(`the answer is larger than ${options.maxAnswerBytes} bytes`));
          }, reject);
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as idle just as this request went out: the server never read
        // the request (Node's documented case for request.reusedSocket), so it is sent again, once, on a new one.
        if (mayRetry && request.reusedSocket && error.code === 'ECONNRESET') attempt(false).then(resolve, reject);
        else reject(error);
      });
      request.cork();
      for (const part of parts) request.write(part);
      request.uncork();
      request.end();
    });
  return attempt(true);
}

/** A framed request body (application/octet-stream) of at most `maxBytes`: 400 for another type, 413 above. */
export async function readFramedRequest(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  if (!request.headers['content-type']?.startsWith(CAPC_FRAMED_CONTENT_TYPE)) {
    throw new DomainError('MALFORMED_REQUEST', `The body must be ${CAPC_FRAMED_CONTENT_TYPE} (a framed request)`);
  }
  const body = await readCapcRequestBody(request, maxBytes);
  if (!body) throw new DomainError('PAYLOAD_TOO_LARGE', `A framed request holds ${maxBytes} bytes at most`);
  return body;
}

/** A framed answer, written part by part (its frames are not copied into one buffer first). */
export function framedFile(framed: CapcFramed): StreamableFile {
  const { parts, byteLength } = capcFrameParts(framed.header, framed.frames);
  return new StreamableFile(Readable.from(parts, { objectMode: false }), {
    type: CAPC_FRAMED_CONTENT_TYPE,
    length: byteLength,
  });
}

/** OpenAPI: a route that takes and answers framed bodies (application/octet-stream). */
export function ApiFramed(): MethodDecorator {
  return applyDecorators(ApiConsumes(CAPC_FRAMED_CONTENT_TYPE), ApiProduces(CAPC_FRAMED_CONTENT_TYPE));
}
