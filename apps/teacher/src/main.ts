import 'reflect-metadata';
import { loadConfig, runMain, startService } from '@conclave/common';
import { TeacherEnv } from './teacher.env.js';
import { TeacherModule } from './teacher.module.js';

runMain(async () => {
  const config = loadConfig('teacher', TeacherEnv);
  await startService({
    service: `teacher-${config.TEACHER_ID}`,
    title: 'Conclave teacher service',
    description: 'One data owner: private partitions, teacher models, votes for the guardian, discard.',
    config,
    module: TeacherModule.register(config),
  });
});
