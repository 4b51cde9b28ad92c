import { Expose } from 'class-transformer';
import { CoordinatorEnv } from '@conclave/common';

/** Configuration of the aggregator service, validated at boot. */
export class AggregatorEnv extends CoordinatorEnv {
  @Expose()
  override PORT = 3001;
}
