/** Closed set of codes thrown by libs/dp. Tests assert the code, never the message. */
export type DpErrorCode =
  'INVALID_ARGUMENT' | 'UNSUPPORTED_EVENT' | 'TARGET_UNREACHABLE' | 'NOT_IMPLEMENTED' | 'INTERNAL';

/** Domain error of libs/dp: a code from a closed set plus a human-readable message (no private values). */
export class DpError extends Error {
  readonly code: DpErrorCode;

  constructor(code: DpErrorCode, message: string) {
    super(message);
    this.name = 'DpError';
    this.code = code;
  }
}

/** True when `error` is a DpError, optionally with the given code. */
export function isDpError(error: unknown, code?: DpErrorCode): error is DpError {
  return error instanceof DpError && (code === undefined || error.code === code);
}
