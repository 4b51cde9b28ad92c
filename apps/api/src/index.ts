export * from './api.env.js';
export * from './api.module.js';
