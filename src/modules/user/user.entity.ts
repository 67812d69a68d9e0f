import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@ObjectType({ description: 'A person who signs in to manage teams and their API keys.' })
@Entity('users')
export class User {
  @Field(() => ID, { description: 'Stable identifier of the user (UUID).' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field({ description: 'The address the user signs in with; unique, compared without case.' })
  @Column('text')
  email!: string;

  @Field({ description: 'Display name, shown to teammates and in the audit log.' })
  @Column('text')
  name!: string;

  /** argon2id; never leaves the service */
  @Column('text')
  passwordHash!: string;

  /** the bootstrap admin: acts as Owner in every team, every act audited */
  @Column('boolean', { default: false })
  isPlatformAdmin!: boolean;

  /** when the person followed the link sent to their address; null: not confirmed */
  @Column('timestamptz', { nullable: true })
  emailVerifiedAt!: Date | null;

  @Field({
    description:
      'The address counts as confirmed: by the link emailed to it, or because the account was made while this service sent no email. Only a confirmed address accepts invitations.',
  })
  get emailVerified(): boolean {
    return this.emailVerifiedAt !== null;
  }

  @Field({ description: 'When the account was created (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
