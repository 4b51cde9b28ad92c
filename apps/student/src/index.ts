export * from './student.env.js';
export * from './student.module.js';
