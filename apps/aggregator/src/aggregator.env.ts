import { Expose, Type } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidatorConstraint,
  Validate,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { CoordinatorEnv } from '@conclave/common';

/** Accepts a test-only switch only where NODE_ENV=test (Jest sets it); unset or anything else refuses it. */
@ValidatorConstraint({ name: 'onlyInTests' })
class OnlyInTests implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as { NODE_ENV?: string }).NODE_ENV === 'test';
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} is for tests only (it makes the label noise predictable) and is accepted only when NODE_ENV=test`;
  }
}

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

  /**
   * Queries in a job's first and last batch (capped at the above; unset: the same). Smaller edge batches shorten the
   * pipeline's fill and drain, but each costs every teacher service one more inference call per model: with 250 MLP
   * teachers on 2 cores, 64 measured slower end to end than 256 (bench:labeling).
   */
  @Expose()
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'LABELING_EDGE_BATCH_SIZE must be an integer from 1 to 512' })
  @Min(1, { message: 'LABELING_EDGE_BATCH_SIZE must be an integer from 1 to 512' })
  @Max(512, { message: 'LABELING_EDGE_BATCH_SIZE must be an integer from 1 to 512' })
  LABELING_EDGE_BATCH_SIZE?: number;

  /**
   * Batches whose votes are asked for at once: with 2, every teacher service has its next batch queued when it
   * answers one (bench:labeling); 1 asks for the next batch only once every service has answered the last.
   */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'LABELING_BATCHES_IN_FLIGHT must be an integer from 1 to 4' })
  @Min(1, { message: 'LABELING_BATCHES_IN_FLIGHT must be an integer from 1 to 4' })
  @Max(4, { message: 'LABELING_BATCHES_IN_FLIGHT must be an integer from 1 to 4' })
  LABELING_BATCHES_IN_FLIGHT = 2;

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

  /** Read only to confine test-only switches to tests. */
  @Expose()
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  /**
   * Tests only: the pate and the capc runner each draw their noise from a SeededRng on this seed instead of the
   * CSPRNG, so that a job's labels can be recomputed exactly outside the guardian. Anyone who knows the seed can
   * predict (and so subtract) the noise: no privacy. Accepted only when NODE_ENV=test.
   */
  @Expose()
  @IsOptional()
  @IsString({ message: 'AGGREGATOR_INSECURE_NOISE_SEED must be a string' })
  @Validate(OnlyInTests)
  AGGREGATOR_INSECURE_NOISE_SEED?: string;
}
