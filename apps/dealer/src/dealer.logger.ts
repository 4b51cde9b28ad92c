import type { createLogger } from '@conclave/common';

/**
 * The dealer's structured logger (pino). Log session ids, party ids, key ids and counts only: never a seed and
 * never correlation bytes.
 */
export type DealerLogger = ReturnType<typeof createLogger>;
export const DEALER_LOGGER = Symbol('DEALER_LOGGER');
