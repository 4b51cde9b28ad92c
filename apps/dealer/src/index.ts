export * from './dealer.env.js';
export * from './dealer.module.js';
export * from './argmax-sessions/argmax-session.service.js';
export * from './argmax-sessions/session-correlations.js';
