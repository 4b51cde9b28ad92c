export * from './budgets/privacy-budget.service.js';
