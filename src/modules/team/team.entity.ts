import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@ObjectType({ description: 'A business on the platform: its members, roles and API keys.' })
@Entity('teams')
export class Team {
  @Field(() => ID, { description: 'Stable identifier of the team (UUID).' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field({ description: 'Name of the team, 1 to 100 characters.' })
  @Column('text')
  name!: string;

  @Column('uuid', { nullable: true })
  createdById!: string | null;

  @Field({ description: 'When the team was created (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
