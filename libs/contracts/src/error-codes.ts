/**
 * The closed set of domain error codes. Libraries throw these (never HTTP exceptions);
 * each app's exception filter maps them to HTTP statuses with an exhaustive switch.
 * Codes are part of the wire contract: tests assert codes, not messages.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'CONFLICT',
  'REPLAY_DETECTED',
  'BUDGET_EXHAUSTED',
  'PARTITION_NOT_FOUND',
  'TEACHER_DISCARDED',
  'JOB_NOT_FINISHED',
  'WRONG_DATASET_PURPOSE',
  'STUDENT_NOT_READY',
  'NO_ACCEPTED_STUDENT',
  'INVALID_CIPHERTEXT',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_ERROR',
  'CONFIG_INVALID',
  'INTERNAL',
  // confidential mode (capc)
  'INVALID_HE_PARAMETERS',
  'HE_CONTEXT_MISMATCH',
  'INVALID_HE_KEY',
  'INVALID_PROTOCOL_MESSAGE',
  'PROTOCOL_OUT_OF_ORDER',
  // the dealer (argmax sessions)
  'SESSION_CONFLICT',
  'CORRELATION_CONSUMED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Body of every error response of every Conclave service. */
export interface ErrorResponseBody {
  error: {
    code: ErrorCode;
    message: string;
    correlationId: string;
    details?: Record<string, unknown>;
  };
}
