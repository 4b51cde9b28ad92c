import { HttpException } from '@nestjs/common';
import type { ErrorCode, ErrorResponseBody } from '@conclave/contracts';
import { DomainError } from './domain.error.js';
import { httpStatusFor } from './http-status.js';

export interface MappedError {
  status: number;
  body: ErrorResponseBody;
  /** Unexpected: log it with its stack (the response stays opaque). */
  unexpected: boolean;
}

/**
 * Turns anything thrown while handling a request into the one error shape of Conclave.
 * Domain errors keep their code and message; framework and body-parser errors get a code by status;
 * anything else becomes an opaque 500 whose only handle is the correlation id.
 */
export function mapError(error: unknown, correlationId: string): MappedError {
  if (error instanceof DomainError) {
    return respond(httpStatusFor(error.code), error.code, error.message, correlationId, error.details);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = codeForStatus(status, 'ROUTE_NOT_FOUND');
    const message = status === 404 ? 'No such route' : error.message;
    return respond(status, code, message, correlationId);
  }
  const bodyParser = bodyParserError(error);
  if (bodyParser) {
    const code = codeForStatus(bodyParser.status, 'NOT_FOUND');
    const message =
      bodyParser.type === 'entity.too.large'
        ? `Request body exceeds the limit of ${bodyParser.limit ?? '?'} bytes`
        : bodyParser.type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : 'Request body could not be read';
    return respond(bodyParser.status, code, message, correlationId);
  }
  return { ...respond(500, 'INTERNAL', 'Internal error', correlationId), unexpected: true };
}

function respond(
  status: number,
  code: ErrorCode,
  message: string,
  correlationId: string,
  details?: Record<string, unknown>,
): MappedError {
  return {
    status,
    unexpected: false,
    body: { error: { code, message, correlationId, ...(details ? { details } : {}) } },
  };
}

function codeForStatus(status: number, notFound: ErrorCode): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return notFound;
  if (status === 409) return 'CONFLICT';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 400 && status < 500) return 'MALFORMED_REQUEST';
  return 'INTERNAL';
}

function bodyParserError(error: unknown): { status: number; type: string; limit?: number } | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { status?: unknown; type?: unknown; limit?: unknown; expose?: unknown };
  if (typeof e.status !== 'number' || typeof e.type !== 'string' || e.status < 400 || e.status >= 500) return null;
  return { status: e.status, type: e.type, limit: typeof e.limit === 'number' ? e.limit : undefined };
}
