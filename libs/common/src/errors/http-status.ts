import type { ErrorCode } from '@conclave/contracts';

/** Exhaustive mapping of domain error codes to HTTP statuses. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'MALFORMED_REQUEST':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
    case 'ROUTE_NOT_FOUND':
    case 'PARTITION_NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'REPLAY_DETECTED':
    case 'BUDGET_EXHAUSTED':
    case 'JOB_NOT_FINISHED':
    case 'WRONG_DATASET_PURPOSE':
    case 'STUDENT_NOT_READY':
    case 'NO_ACCEPTED_STUDENT':
      return 409;
    case 'TEACHER_DISCARDED':
      return 410;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'INVALID_CIPHERTEXT':
      return 422;
    case 'RATE_LIMITED':
      return 429;
    case 'UPSTREAM_ERROR':
      return 502;
    case 'UPSTREAM_UNAVAILABLE':
      return 503;
    case 'CONFIG_INVALID':
    case 'INTERNAL':
      return 500;
    case 'INVALID_HE_PARAMETERS':
    case 'HE_CONTEXT_MISMATCH':
    case 'INVALID_HE_KEY':
    case 'INVALID_PROTOCOL_MESSAGE':
      return 400;
    case 'PROTOCOL_OUT_OF_ORDER':
      return 409;
    case 'SESSION_CONFLICT':
    case 'CORRELATION_CONSUMED':
      return 409;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}
