import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file sits at apps/cli/{src,dist}/platform/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');

export const SERVICE_SCRIPTS = {
  db: resolve(REPO_ROOT, 'apps/cli/dist/main.js'),
  api: resolve(REPO_ROOT, 'apps/api/dist/main.js'),
  aggregator: resolve(REPO_ROOT, 'apps/aggregator/dist/main.js'),
  student: resolve(REPO_ROOT, 'apps/student/dist/main.js'),
  dealer: resolve(REPO_ROOT, 'apps/dealer/dist/main.js'),
  teacher: resolve(REPO_ROOT, 'apps/teacher/dist/main.js'),
} as const;
