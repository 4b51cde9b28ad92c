/** Injection token: the guardian's structured logger. */
export const GUARDIAN_LOGGER = Symbol('GUARDIAN_LOGGER');
