import { Expose } from 'class-transformer';
import { BaseEnv } from '@conclave/common';

/** Configuration of the dealer service, validated at boot. */
export class DealerEnv extends BaseEnv {
  @Expose()
  override PORT = 3003;
}
