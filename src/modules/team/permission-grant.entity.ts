import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@ObjectType({ description: "One permission given to one member on top of the member's role." })
@Entity('permission_grants')
export class PermissionGrant {
  @Field(() => ID, { description: 'Stable identifier of the grant (UUID).' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  membershipId!: string;

  @Field({ description: 'The permission granted, e.g. apiKeys:create.' })
  @Column('text')
  permission!: string;

  @Column('uuid', { nullable: true })
  grantedById!: string | null;

  @Field({ description: 'When the permission was granted (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
