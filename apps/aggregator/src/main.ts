import 'reflect-metadata';
import { loadConfig, runMain, startService } from '@conclave/common';
import { AggregatorEnv } from './aggregator.env.js';
import { AggregatorModule } from './aggregator.module.js';

runMain(async () => {
  const config = loadConfig('aggregator', AggregatorEnv);
  await startService({
    service: 'aggregator',
    title: 'Conclave privacy guardian',
    description:
      'The privacy guardian: labeling jobs, vote aggregation, noisy argmax, Rényi-DP accounting against budgets, the append-only ledger.',
    config,
    module: AggregatorModule.register(config),
  });
});
