import 'reflect-metadata';
import { loadConfig, runMain, startService } from '@conclave/common';
import { DealerEnv } from './dealer.env.js';
import { DealerModule } from './dealer.module.js';

runMain(async () => {
  const config = loadConfig('dealer', DealerEnv);
  await startService({
    service: 'dealer',
    title: 'Conclave dealer',
    description: 'Correlated randomness (Beaver triples) for the secure argmax of confidential mode.',
    config,
    module: DealerModule.register(config),
  });
});
