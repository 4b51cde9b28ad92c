export * from './roles.js';
export * from './error-codes.js';
export * from './wire-headers.js';
export * from './votes.js';
export * from './capc.js';
export * from './capc-frames.js';
