/**
 * Closed set of codes thrown by libs/crypto. Tests assert the code, never the message; messages never carry
 * key material, shares or plaintext values.
 */
export type CryptoErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_PARAMETERS'
  | 'PARAMETERS_INSUFFICIENT'
  | 'CONTEXT_MISMATCH'
  | 'INVALID_CIPHERTEXT'
  | 'INVALID_KEY'
  | 'INVALID_MESSAGE'
  | 'CORRELATION_REUSED'
  | 'CORRELATION_MISMATCH'
  | 'CORRELATION_EXHAUSTED'
  | 'PROTOCOL_STATE'
  | 'DISPOSED'
  | 'RUNTIME_FAILURE';

/** Domain error of libs/crypto: a code from a closed set plus a human-readable message (no private values). */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CryptoError';
    this.code = code;
  }
}

/** True when `error` is a CryptoError, optionally with the given code. */
export function isCryptoError(error: unknown, code?: CryptoErrorCode): error is CryptoError {
  return error instanceof CryptoError && (code === undefined || error.code === code);
}
