/** Header carrying the correlation id across services and back to clients. */
export const CORRELATION_HEADER = 'x-correlation-id';
/** Header carrying an API key (alternative to `Authorization: Bearer <key>`). */
export const API_KEY_HEADER = 'x-api-key';

export const SERVICE_NAMES = ['api', 'aggregator', 'teacher', 'student', 'dealer'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
