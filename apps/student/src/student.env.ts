import { Expose } from 'class-transformer';
import { CoordinatorEnv } from '@conclave/common';

/** Configuration of the student service, validated at boot. */
export class StudentEnv extends CoordinatorEnv {
  @Expose()
  override PORT = 3002;
}
