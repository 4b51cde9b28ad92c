import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import type { StudentModelEntity, TeacherDiscardRow, TeacherDiscardStatus } from '@conclave/db';

export class CreateStudentDto {
  @ApiProperty({ description: 'A finished labeling job (completed or budget-exhausted): its released labels' })
  @IsUUID('all')
  jobId: string;

  @ApiPropertyOptional({
    description:
      "An evaluation dataset (an upload with purpose 'evaluation' of the same consortium dataset) to measure the student on",
  })
  @IsOptional()
  @IsUUID('all')
  evaluationDatasetId?: string;

  @ApiPropertyOptional({ enum: ['cnn', 'mlp'], description: "Default: 'cnn' for images, 'mlp' for tabular data" })
  @IsOptional()
  @IsIn(['cnn', 'mlp'])
  architecture?: 'cnn' | 'mlp';

  @ApiPropertyOptional({
    enum: ['supervised', 'fixmatch'],
    description:
      "Default: 'fixmatch' (semi-supervised, uses the unlabeled rest of the pool) for images, else 'supervised'",
  })
  @IsOptional()
  @IsIn(['supervised', 'fixmatch'])
  method?: 'supervised' | 'fixmatch';

  @ApiPropertyOptional({ enum: ['quick', 'full'], default: 'full', description: 'Training length defaults' })
  @IsOptional()
  @IsIn(['quick', 'full'])
  preset?: 'quick' | 'full';

  @ApiPropertyOptional({ description: "Epochs (overrides the preset's)", minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  epochs?: number;

  @ApiPropertyOptional({ description: 'Seeds initial weights, shuffling and augmentation (not privacy-relevant)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2 ** 31 - 2)
  seed?: number;
}

export class ListStudentsQueryDto {
  @ApiProperty({ description: 'The consortium dataset whose student versions to list' })
  @IsUUID('all')
  datasetId: string;
}

export class StudentCreatedDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Numbered per consortium dataset: 1, 2, …' }) version: number;
  @ApiProperty({ enum: ['training'] }) status: string;
}

export class TeacherDiscardStatusDto {
  @ApiProperty({ description: "The data owner's party name" }) party: string;
  @ApiProperty() partyId: string;
  @ApiProperty({ enum: ['pending', 'done', 'failed'] }) status: TeacherDiscardStatus;
  @ApiProperty({ nullable: true, type: Number, description: 'Teacher models the service deleted' })
  modelsDeleted: number | null;
  @ApiProperty({ nullable: true, type: String }) errorCode: string | null;
  @ApiProperty({ nullable: true, type: String }) completedAt: Date | null;
}

export class DiscardStatusDto {
  @ApiProperty({
    enum: ['pending', 'done', 'failed'],
    description: 'done when every teacher service confirmed; failed when one gave up (accept again to retry)',
  })
  status: TeacherDiscardStatus;
  @ApiProperty({ nullable: true, type: String, description: 'When the dataset was marked discarded' })
  teachersDiscardedAt: Date | null;
  @ApiProperty({ type: [TeacherDiscardStatusDto] }) teachers: TeacherDiscardStatusDto[];
}

export class StudentProgressDto {
  @ApiProperty({ description: 'Fraction of the training steps done, in [0, 1]' }) fraction: number;
  @ApiProperty() epoch: number;
  @ApiProperty() epochs: number;
  @ApiProperty() step: number;
  @ApiProperty() steps: number;
  @ApiProperty() loss: number;
  @ApiProperty({ description: "Share of the step's unlabeled records whose pseudo-label passed the threshold" })
  pseudoLabelRate: number;
}

export class StudentDto {
  @ApiProperty() id: string;
  @ApiProperty() datasetId: string;
  @ApiProperty() version: number;
  @ApiProperty({ enum: ['training', 'trained', 'accepted', 'superseded', 'failed'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) jobId: string | null;
  @ApiProperty({ nullable: true, type: String }) evaluationDatasetId: string | null;
  @ApiProperty({ description: 'What the training asked for (architecture, method, preset, epochs, seed)' })
  trainingRequest: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) method: string | null;
  @ApiProperty({ nullable: true, type: String }) architecture: string | null;
  @ApiProperty({ description: 'Fraction of training done: 1 once trained' }) progress: number;
  @ApiProperty({ nullable: true, type: StudentProgressDto }) training: StudentProgressDto | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why training failed' }) errorCode: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Accuracy on the evaluation dataset' })
  evaluationAccuracy: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 of the exported model (topology and weights)' })
  contentHash: string | null;
  @ApiProperty({
    nullable: true,
    type: Object,
    description:
      'The model card: data, job, mechanism, ε, δ, conversion, accuracy. Only operators see a data-dependent ε (publishable: false); others see the publishable data-independent bound',
  })
  modelCard: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: DiscardStatusDto, description: 'Once accepted: the discard of the teachers' })
  discard: DiscardStatusDto | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: String }) trainedAt: Date | null;
  @ApiProperty({ nullable: true, type: String }) acceptedAt: Date | null;
  @ApiProperty({ nullable: true, type: String }) supersededAt: Date | null;
}

export class AcceptedStudentDto {
  @ApiProperty() id: string;
  @ApiProperty() version: number;
  @ApiProperty({ enum: ['accepted'] }) status: string;
  @ApiProperty({ nullable: true, type: String, description: 'The version this one replaced as the deployed one' })
  supersededId: string | null;
  @ApiProperty({ type: DiscardStatusDto }) discard: DiscardStatusDto;
}

export function mapDiscardStatus(
  status: TeacherDiscardStatus,
  teachersDiscardedAt: Date | null,
  rows: TeacherDiscardRow[],
): DiscardStatusDto {
  return {
    status,
    teachersDiscardedAt,
    teachers: rows.map((row) => ({
      party: row.party,
      partyId: row.partyId,
      status: row.status,
      modelsDeleted: row.modelsDeleted,
      errorCode: row.errorCode,
      completedAt: row.completedAt,
    })),
  };
}

export function mapStudent(
  student: StudentModelEntity,
  modelCard: Record<string, unknown> | null,
  discard: DiscardStatusDto | null,
): StudentDto {
  const progress = student.progress;
  return {
    id: student.id,
    datasetId: student.consortiumDatasetId,
    version: student.version,
    status: student.status,
    jobId: student.jobId,
    evaluationDatasetId: student.evaluationDatasetId,
    trainingRequest: { ...(student.trainingRequest ?? {}) },
    method: student.method,
    architecture: student.architecture,
    progress: student.status === 'training' || student.status === 'failed' ? (progress?.fraction ?? 0) : 1,
    training: progress ?? null,
    errorCode: student.errorCode,
    evaluationAccuracy: student.evaluationAccuracy,
    contentHash: student.contentHash,
    modelCard,
    discard,
    createdAt: student.createdAt,
    trainedAt: student.trainedAt,
    acceptedAt: student.acceptedAt,
    supersededAt: student.supersededAt,
  };
}
