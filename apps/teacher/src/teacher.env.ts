import { Expose, Type } from 'class-transformer';
import { IsIn, IsInt, Matches, Min } from 'class-validator';
import { BaseEnv } from '@conclave/common';

export const TENSORFLOW_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type TensorflowBackendPreference = (typeof TENSORFLOW_BACKENDS)[number];

/** Configuration of the teacher service, validated at boot. */
export class TeacherEnv extends BaseEnv {
  @Expose()
  override PORT = 3100;

  /** This data owner's identifier: names the service (teacher-<id>) and its data directory. */
  @Expose()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    message: 'TEACHER_ID must be lowercase letters, digits and dashes (at most 63)',
  })
  TEACHER_ID = 'a';

  /** Largest accepted upload of private records (CSV, JSONL, IDX or PNG), in bytes. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'MAX_UPLOAD_BYTES must be a positive integer' })
  @Min(1, { message: 'MAX_UPLOAD_BYTES must be a positive integer' })
  MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

  /**
   * Where the TensorFlow.js backend search starts: `tensorflow` (tfjs-node when installed, else WASM, else
   * CPU), `wasm` (WASM, else CPU) or `cpu`.
   */
  @Expose()
  @IsIn(TENSORFLOW_BACKENDS as unknown as string[], {
    message: `TF_BACKEND must be one of ${TENSORFLOW_BACKENDS.join(', ')}`,
  })
  TF_BACKEND: TensorflowBackendPreference = 'tensorflow';
}
