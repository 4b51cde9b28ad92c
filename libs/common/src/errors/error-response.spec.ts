import { describe, expect, it } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { ERROR_CODES } from '@conclave/contracts';
import { DomainError } from './domain.error.js';
import { mapError } from './error-response.js';
import { httpStatusFor } from './http-status.js';

describe('error mapping', () => {
  it('gives every domain code an HTTP status, 4xx for caller mistakes', () => {
    for (const code of ERROR_CODES) {
      const status = httpStatusFor(code);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
    expect(httpStatusFor('BUDGET_EXHAUSTED')).toBe(409);
    expect(httpStatusFor('INVALID_CIPHERTEXT')).toBe(422);
    expect(httpStatusFor('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusFor('FORBIDDEN')).toBe(403);
  });

  it('keeps a domain error’s code, message and details', () => {
    const mapped = mapError(new DomainError('PARTITION_NOT_FOUND', 'No partition p-7', { partition: 'p-7' }), 'cid');
    expect(mapped).toEqual({
      status: 404,
      unexpected: false,
      body: {
        error: {
          code: 'PARTITION_NOT_FOUND',
          message: 'No partition p-7',
          correlationId: 'cid',
          details: { partition: 'p-7' },
        },
      },
    });
  });

  it('turns an unknown error into an opaque 500 that reveals nothing', () => {
    const mapped = mapError(new Error('vote histogram [3, 240, 7] at /srv/secret.ts:12'), 'cid-1');
    expect(mapped.status).toBe(500);
    expect(mapped.unexpected).toBe(true);
    expect(JSON.stringify(mapped.body)).toBe(
      '{"error":{"code":"INTERNAL","message":"Internal error","correlationId":"cid-1"}}',
    );
  });

  it('maps framework and body-parser errors to codes', () => {
    expect(mapError(new NotFoundException(), 'c').body.error.code).toBe('ROUTE_NOT_FOUND');
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
      limit: 100,
    });
    expect(mapError(tooLarge, 'c')).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const badJson = Object.assign(new Error('Unexpected token'), { status: 400, type: 'entity.parse.failed' });
    expect(mapError(badJson, 'c')).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_REQUEST' } } });
  });
});
