export * from './dealer.env.js';
export * from './dealer.module.js';
