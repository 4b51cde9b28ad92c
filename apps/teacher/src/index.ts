export * from './teacher.env.js';
export * from './teacher.module.js';
