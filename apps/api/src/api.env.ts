import { Expose } from 'class-transformer';
import { CoordinatorEnv } from '@conclave/common';

/** Configuration of the api service, validated at boot. */
export class ApiEnv extends CoordinatorEnv {
  @Expose()
  override PORT = 3000;
}
