import { Expose, Type } from 'class-transformer';
import { IsInt, Min } from 'class-validator';
import { CoordinatorEnv } from '@conclave/common';

/** Configuration of the api service, validated at boot. */
export class ApiEnv extends CoordinatorEnv {
  @Expose()
  override PORT = 3000;

  /** Largest unlabeled-data upload, in bytes (streamed; beyond it → 413 and nothing is kept). */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'MAX_UPLOAD_BYTES must be a positive integer' })
  @Min(1, { message: 'MAX_UPLOAD_BYTES must be a positive integer' })
  MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
}
