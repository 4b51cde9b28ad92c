import 'reflect-metadata';
import { loadConfig, runMain, startService } from '@conclave/common';
import { ApiEnv } from './api.env.js';
import { ApiModule } from './api.module.js';

runMain(async () => {
  const config = loadConfig('api', ApiEnv);
  await startService({
    service: 'api',
    title: 'Conclave API',
    description:
      'Querying parties and operators: consortium, parties, datasets, unlabeled uploads, labeling jobs, labels, budgets, students, audit.',
    config,
    module: ApiModule.register(config),
  });
});
