import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { QueryEntity } from './query.entity.js';

/**
 * The teachers' vote histogram of one query. Guardian-only: it is private (the data-dependent ε is a
 * function of it) and is never served by the API.
 */
@Entity('vote_histogram')
export class VoteHistogramEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index({ unique: true })
  @Column({ type: 'uuid' })
  queryId: string;

  @ManyToOne(() => QueryEntity, { onDelete: 'CASCADE' })
  query: Relation<QueryEntity>;

  @Column({ type: 'jsonb' })
  counts: number[];

  /** How many teachers actually voted. */
  @Column({ type: 'integer' })
  voters: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
