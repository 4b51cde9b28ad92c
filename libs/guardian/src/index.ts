export * from './budgets/privacy-budget.service.js';
export * from './labeling/job-mechanism.js';
export * from './labeling/vote-collector.js';
export * from './labeling/labeling-runner.js';
export * from './queue/labeling-queue.js';
export * from './discard/teacher-discard.queue.js';
export * from './discard/teacher-discard.runner.js';
