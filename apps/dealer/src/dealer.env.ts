import { Expose, Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from '@conclave/common';

/** The contract's bound on the correlations of one argmax session. */
export const MAX_ARGMAX_SESSION_COUNT = 100_000;

/** Configuration of the dealer service, validated at boot. */
export class DealerEnv extends BaseEnv {
  @Expose()
  override PORT = 3003;

  /** Most correlations one argmax session may ask for (at most 100,000). */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: `DEALER_MAX_SESSION_COUNT must be an integer from 1 to ${MAX_ARGMAX_SESSION_COUNT}` })
  @Min(1, { message: `DEALER_MAX_SESSION_COUNT must be an integer from 1 to ${MAX_ARGMAX_SESSION_COUNT}` })
  @Max(MAX_ARGMAX_SESSION_COUNT, {
    message: `DEALER_MAX_SESSION_COUNT must be an integer from 1 to ${MAX_ARGMAX_SESSION_COUNT}`,
  })
  DEALER_MAX_SESSION_COUNT = MAX_ARGMAX_SESSION_COUNT;

  /**
   * Largest batch (the teacher's half, which carries the Beaver triples: ~45 kB per 10-class correlation, ~33 MB
   * per 256-class one) a session may produce, in bytes; larger sessions are refused at creation.
   */
  @Expose()
  @Type(() => Number)
  @IsInt({ message: 'DEALER_MAX_BATCH_BYTES must be a positive integer' })
  @Min(1, { message: 'DEALER_MAX_BATCH_BYTES must be a positive integer' })
  DEALER_MAX_BATCH_BYTES = 8 * 1024 * 1024 * 1024;
}
