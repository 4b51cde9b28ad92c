import { Expose, Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { CoordinatorEnv } from '@conclave/common';

export const STUDENT_TENSORFLOW_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** Configuration of the student service, validated at boot. */
export class StudentEnv extends CoordinatorEnv {
  @Expose()
  override PORT = 3002;

  /**
   * Where the TensorFlow.js backend search starts: `tensorflow` (tfjs-node when installed, else WASM, else CPU),
   * `wasm` (WASM, else CPU) or `cpu`.
   */
  @Expose()
  @IsIn(STUDENT_TENSORFLOW_BACKENDS as unknown as string[], {
    message: `TF_BACKEND must be one of ${STUDENT_TENSORFLOW_BACKENDS.join(', ')}`,
  })
  TF_BACKEND: (typeof STUDENT_TENSORFLOW_BACKENDS)[number] = 'tensorflow';

  /** Most records one prediction request may carry. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'PREDICT_MAX_RECORDS must be an integer from 1 to 100000' })
  @Min(1, { message: 'PREDICT_MAX_RECORDS must be an integer from 1 to 100000' })
  @Max(100_000, { message: 'PREDICT_MAX_RECORDS must be an integer from 1 to 100000' })
  PREDICT_MAX_RECORDS = 1000;

  /** Training runs of one student (a crashed or killed process resumes by starting again) before it fails. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'STUDENT_TRAINING_ATTEMPTS must be an integer from 1 to 20' })
  @Min(1, { message: 'STUDENT_TRAINING_ATTEMPTS must be an integer from 1 to 20' })
  @Max(20, { message: 'STUDENT_TRAINING_ATTEMPTS must be an integer from 1 to 20' })
  STUDENT_TRAINING_ATTEMPTS = 3;
}
