import { Module } from '@nestjs/common';
import { CapcHeadRepository } from '@conclave/db';
import { CapcHeadsService } from './capc-heads.service.js';

export { CapcHeadsService, type CapcHeadsOutcome } from './capc-heads.service.js';
export type { CapcHead, CapcLinearHead, CapcSquareMlpHead } from './capc-head.types.js';

/**
 * The teacher's confidential-mode heads. Import it in the teacher's module: the training runner fits heads through
 * CapcHeadsService, discard deletes them, and the encrypted-query code reads them with `headsFor`. The repository
 * uses the service's database (the global DataSource of DatabaseModule).
 */
@Module({
  providers: [CapcHeadRepository, CapcHeadsService],
  exports: [CapcHeadsService],
})
export class CapcHeadsModule {}
