import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '@conclave/contracts';

/**
 * A credential. Each service's database holds the keys that may call it: the coordinator's keys
 * belong to consortium parties, a teacher service's keys are issued by its data owner.
 * Only the SHA-256 of the secret is stored.
 */
@Entity('api_key')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 12 })
  prefix: string;

  @Column({ type: 'char', length: 64 })
  secretHash: string;

  @Column({ type: 'varchar', length: 32 })
  role: Role;

  /** The consortium party the key acts for (coordinator and dealer databases). */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  partyId: string | null;

  @Column({ type: 'varchar', length: 200 })
  label: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
