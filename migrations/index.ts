export { coordinatorMigrations } from './coordinator/index.js';
export { teacherMigrations } from './teacher/index.js';
export { dealerMigrations } from './dealer/index.js';
