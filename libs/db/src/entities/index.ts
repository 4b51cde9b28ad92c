import { ApiKeyEntity } from './api-key.entity.js';
import { CapcBatchEntity } from './coordinator/capc-batch.entity.js';
import { CapcDealerEntity } from './coordinator/capc-dealer.entity.js';
import { CapcJobEntity } from './coordinator/capc-job.entity.js';
import { AuditEventEntity } from './coordinator/audit-event.entity.js';
import { ConsortiumDatasetEntity } from './coordinator/consortium-dataset.entity.js';
import { ConsortiumEntity } from './coordinator/consortium.entity.js';
import { LabelingJobEntity } from './coordinator/labeling-job.entity.js';
import { LedgerEntryEntity } from './coordinator/ledger-entry.entity.js';
import { PartyEntity } from './coordinator/party.entity.js';
import { PrivacyBudgetEntity } from './coordinator/privacy-budget.entity.js';
import { QueryEntity } from './coordinator/query.entity.js';
import { StudentModelEntity } from './coordinator/student-model.entity.js';
import { TeacherDiscardEntity } from './coordinator/teacher-discard.entity.js';
import { UnlabeledDatasetEntity } from './coordinator/unlabeled-dataset.entity.js';
import { UnlabeledRecordEntity } from './coordinator/unlabeled-record.entity.js';
import { ArgmaxSessionEntity } from './dealer/argmax-session.entity.js';
import { CapcHeadEntity } from './teacher/capc-head.entity.js';
import { DiscardRecordEntity } from './teacher/discard-record.entity.js';
import { PartitionEntity } from './teacher/partition.entity.js';
import { PrivateRecordEntity } from './teacher/private-record.entity.js';
import { TeacherModelEntity } from './teacher/teacher-model.entity.js';

export {
  ApiKeyEntity,
  CapcBatchEntity,
  CapcDealerEntity,
  CapcJobEntity,
  AuditEventEntity,
  ConsortiumDatasetEntity,
  ConsortiumEntity,
  LabelingJobEntity,
  LedgerEntryEntity,
  PartyEntity,
  PrivacyBudgetEntity,
  QueryEntity,
  StudentModelEntity,
  TeacherDiscardEntity,
  UnlabeledDatasetEntity,
  UnlabeledRecordEntity,
  DiscardRecordEntity,
  PartitionEntity,
  PrivateRecordEntity,
  TeacherModelEntity,
  ArgmaxSessionEntity,
  CapcHeadEntity,
};
export type * from './coordinator/capc-batch.entity.js';
export type * from './coordinator/consortium-dataset.entity.js';
export type * from './coordinator/labeling-job.entity.js';
export type * from './coordinator/privacy-budget.entity.js';
export type * from './coordinator/query.entity.js';
export type * from './coordinator/student-model.entity.js';
export type * from './coordinator/teacher-discard.entity.js';
export type * from './coordinator/unlabeled-dataset.entity.js';
export type * from './teacher/partition.entity.js';
export type * from './teacher/teacher-model.entity.js';

/** The schemas: the coordinator's (api, guardian, student), each teacher service's own, the dealer's. */
export type SchemaKind = 'coordinator' | 'teacher' | 'dealer';

export const COORDINATOR_ENTITIES = [
  ConsortiumEntity,
  PartyEntity,
  ApiKeyEntity,
  ConsortiumDatasetEntity,
  PrivacyBudgetEntity,
  LedgerEntryEntity,
  UnlabeledDatasetEntity,
  UnlabeledRecordEntity,
  LabelingJobEntity,
  QueryEntity,
  StudentModelEntity,
  TeacherDiscardEntity,
  AuditEventEntity,
  CapcJobEntity,
  CapcBatchEntity,
  CapcDealerEntity,
];

export const TEACHER_ENTITIES = [
  ApiKeyEntity,
  PartitionEntity,
  PrivateRecordEntity,
  TeacherModelEntity,
  DiscardRecordEntity,
  CapcHeadEntity,
];

/** The dealer keeps its credentials and its argmax sessions (a seed each, and which halves it handed out). */
export const DEALER_ENTITIES = [ApiKeyEntity, ArgmaxSessionEntity];

export function entitiesFor(kind: SchemaKind): Function[] {
  switch (kind) {
    case 'coordinator':
      return COORDINATOR_ENTITIES;
    case 'teacher':
      return TEACHER_ENTITIES;
    case 'dealer':
      return DEALER_ENTITIES;
  }
}
