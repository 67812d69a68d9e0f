import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A signed-in session. Only the SHA-256 digest of its bearer token is stored. */
@Entity('sessions')
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  userId!: string;

  @Column('bytea')
  tokenDigest!: Buffer;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz')
  expiresAt!: Date;

  /** last request made with it, to within SessionService's LAST_SEEN_EVERY (not written on every request) */
  @Column('timestamptz', { nullable: true })
  lastSeenAt!: Date | null;

  /** the client that signed in, as it said (bounded), so its owner can tell sessions apart */
  @Column('text', { nullable: true })
  userAgent!: string | null;

  /** the address that signed in */
  @Column('text', { nullable: true })
  ip!: string | null;
}
