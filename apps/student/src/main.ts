import 'reflect-metadata';
import { loadConfig, runMain, startService } from '@conclave/common';
import { StudentEnv } from './student.env.js';
import { StudentModule } from './student.module.js';

runMain(async () => {
  const config = loadConfig('student', StudentEnv);
  await startService({
    service: 'student',
    title: 'Conclave student trainer',
    description: 'Trains, evaluates, exports and serves the student model from released labels.',
    config,
    module: StudentModule.register(config),
  });
});
