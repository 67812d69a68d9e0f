import { Field, ID, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@ObjectType({ description: 'A named set of permissions that a team gives its members.' })
@Entity('roles')
export class Role {
  @Field(() => ID, { description: 'Stable identifier of the role (UUID).' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  teamId!: string;

  @Field({ description: 'Name of the role, unique in its team without regard to case.' })
  @Column('text')
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the role is for, in a sentence.' })
  @Column('text', { nullable: true })
  description!: string | null;

  @Field({ description: 'true for the built-in roles Owner, Admin, Member and Auditor' })
  @Column('boolean', { default: false })
  builtIn!: boolean;

  @Field(() => [String], { description: 'Permissions of the role, names from permissionCatalog.' })
  @Column('text', { array: true, default: () => "'{}'" })
  permissions!: string[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
