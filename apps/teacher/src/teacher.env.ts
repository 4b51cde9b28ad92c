import { Expose, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
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

  /** Confidential mode: the consortium's dealer, and the key it issued to this service (or PUT /v1/capc/dealer). */
  @Expose()
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'DEALER_URL must be an http(s) URL' })
  DEALER_URL?: string;

  @Expose()
  @IsOptional()
  @IsString()
  DEALER_KEY?: string;

  /** Confidential sessions (batches) held in memory at once, and how long an abandoned one is kept. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'CAPC_MAX_SESSIONS must be an integer from 1 to 1024' })
  @Min(1, { message: 'CAPC_MAX_SESSIONS must be an integer from 1 to 1024' })
  @Max(1024, { message: 'CAPC_MAX_SESSIONS must be an integer from 1 to 1024' })
  CAPC_MAX_SESSIONS = 64;

  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'CAPC_SESSION_TTL_MS must be a positive integer' })
  @Min(1, { message: 'CAPC_SESSION_TTL_MS must be a positive integer' })
  CAPC_SESSION_TTL_MS = 10 * 60_000;

  /** Tests and demos only: fixed confidential-mode heads from a JSON file (see FileCapcHeads). */
  @Expose()
  @IsOptional()
  @IsString()
  CAPC_HEADS_FILE?: string;
}
