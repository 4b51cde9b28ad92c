/** Injection token: the name of the running service (api, aggregator, teacher-a, …). */
export const SERVICE_IDENTITY = Symbol('SERVICE_IDENTITY');
