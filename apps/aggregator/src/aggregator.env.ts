import { Expose, Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { CoordinatorEnv } from '@conclave/common';

/** Configuration of the aggregator (privacy guardian), validated at boot. */
export class AggregatorEnv extends CoordinatorEnv {
  @Expose()
  override PORT = 3001;

  /** Queries sent to the teacher services per vote request. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'LABELING_BATCH_SIZE must be an integer from 1 to 512' })
  @Min(1, { message: 'LABELING_BATCH_SIZE must be an integer from 1 to 512' })
  @Max(512, { message: 'LABELING_BATCH_SIZE must be an integer from 1 to 512' })
  LABELING_BATCH_SIZE = 256;

  /** Timeout of one vote request to a teacher service. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'TEACHER_TIMEOUT_MS must be a positive integer' })
  @Min(1, { message: 'TEACHER_TIMEOUT_MS must be a positive integer' })
  TEACHER_TIMEOUT_MS = 60_000;

  /** Retries (with exponential backoff) before a teacher service counts as down for a batch. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'TEACHER_RETRIES must be an integer from 0 to 10' })
  @Min(0, { message: 'TEACHER_RETRIES must be an integer from 0 to 10' })
  @Max(10, { message: 'TEACHER_RETRIES must be an integer from 0 to 10' })
  TEACHER_RETRIES = 3;
}
