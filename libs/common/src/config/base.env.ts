import { Expose, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { LOG_LEVELS, type ConclaveLogLevel } from '../logging/logger.js';
import { IsPostgresUrl } from '../validation/validators.js';

/**
 * Variables every Conclave service reads. Each app extends this class with its own and
 * sets its default port; `loadConfig` validates the whole class at boot.
 */
export abstract class BaseEnv {
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer from 0 to 65535' })
  @Min(0, { message: 'PORT must be an integer from 0 to 65535' })
  @Max(65535, { message: 'PORT must be an integer from 0 to 65535' })
  PORT: number;

  @Expose()
  @IsString()
  @MinLength(1)
  HOST = '127.0.0.1';

  /** PostgreSQL connection string; when absent the service uses its embedded PGlite database. */
  @Expose()
  @IsOptional()
  @IsPostgresUrl()
  DATABASE_URL?: string;

  /** Root of the embedded databases and other local state (`<dir>/<service>/db`). */
  @Expose()
  @IsString()
  @MinLength(1)
  CONCLAVE_DATA_DIR = '.conclave';

  @Expose()
  @IsIn(LOG_LEVELS as unknown as string[], { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: ConclaveLogLevel = 'info';

  /** Largest accepted JSON request body, in bytes. */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'MAX_BODY_BYTES must be a positive integer' })
  @Min(1, { message: 'MAX_BODY_BYTES must be a positive integer' })
  MAX_BODY_BYTES = 16 * 1024 * 1024;
}

/** Variables of the coordinator services (api, guardian, student), which share one database. */
export abstract class CoordinatorEnv extends BaseEnv {
  /**
   * Without DATABASE_URL, the coordinator services share the embedded database served on this
   * loopback port by `conclave db serve` (started by `npm start` and `npm run demo`).
   */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'CONCLAVE_EMBEDDED_DB_PORT must be an integer from 1 to 65535' })
  @Min(1, { message: 'CONCLAVE_EMBEDDED_DB_PORT must be an integer from 1 to 65535' })
  @Max(65535, { message: 'CONCLAVE_EMBEDDED_DB_PORT must be an integer from 1 to 65535' })
  CONCLAVE_EMBEDDED_DB_PORT = 54329;
}
