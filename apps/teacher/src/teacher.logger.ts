import type { createLogger } from '@conclave/common';

/** The service's structured logger (pino). Log identifiers and counts only: never records, features or votes. */
export type TeacherLogger = ReturnType<typeof createLogger>;
export const TEACHER_LOGGER = Symbol('TEACHER_LOGGER');
