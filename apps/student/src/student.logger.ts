import type { createLogger } from '@conclave/common';

/** The service's structured logger (pino). Log identifiers and counts only: never records, features or labels. */
export type StudentLogger = ReturnType<typeof createLogger>;
export const STUDENT_LOGGER = Symbol('STUDENT_LOGGER');
