import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@ObjectType({
  description: "A user's place in a team: one role, plus single permissions granted on top.",
})
@Entity('memberships')
export class Membership {
  @Field(() => ID, { description: 'Stable identifier of the membership (UUID).' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  teamId!: string;

  @Column('uuid')
  userId!: string;

  @Column('uuid')
  roleId!: string;

  @Field({ description: 'When the user joined the team (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
