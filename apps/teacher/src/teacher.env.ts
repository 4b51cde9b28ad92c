import { Expose } from 'class-transformer';
import { Matches } from 'class-validator';
import { BaseEnv } from '@conclave/common';

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
}
