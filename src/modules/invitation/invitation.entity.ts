import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  DECLINED = 'DECLINED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(InvitationStatus, {
  name: 'InvitationStatus',
  description: 'Where an invitation stands.',
  valuesConfig: {
    PENDING: { description: 'Open: the invitee may accept or decline it until expiresAt.' },
    ACCEPTED: { description: 'The invitee joined the team with the role.' },
    DECLINED: { description: 'The invitee said no.' },
    REVOKED: { description: 'The team took it back before it was answered.' },
    EXPIRED: { description: 'Nobody answered before expiresAt; it can no longer be accepted.' },
  },
});

/** What was decided about an invitation; EXPIRED is not a decision but the time passing. */
export type InvitationState = Exclude<InvitationStatus, InvitationStatus.EXPIRED>;

@ObjectType({
  description:
    'An invitation to join a team. The invitee sees it under myInvitations once signed in with that email.',
})
@Entity('invitations')
export class Invitation {
  @Field(() => ID, { description: 'Stable identifier of the invitation (UUID).' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  teamId!: string;

  @Field({
    description:
      'The address invited, trimmed and lower-cased; whoever signs in with it may answer.',
  })
  @Column('text')
  email!: string;

  /** null once the role was deleted: the invitation can then no longer be accepted */
  @Column('uuid', { nullable: true })
  roleId!: string | null;

  /** the role's name when it was offered, shown once the role is gone */
  @Column('text')
  roleName!: string;

  @Column('uuid', { nullable: true })
  invitedById!: string | null;

  @Column('text')
  state!: InvitationState;

  @Field({ description: 'When it was first sent (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Field({
    description:
      'Until when it can be accepted (UTC); a new invitation to the same address renews it.',
  })
  @Column('timestamptz')
  expiresAt!: Date;

  /** when it was accepted, declined or revoked */
  @Column('timestamptz', { nullable: true })
  respondedAt!: Date | null;

  @Field(() => InvitationStatus, {
    description: 'PENDING, ACCEPTED, DECLINED, REVOKED, or EXPIRED once past expiresAt unanswered.',
  })
  get status(): InvitationStatus {
    return invitationStatus(this);
  }
}

export function invitationStatus(
  invitation: Pick<Invitation, 'state' | 'expiresAt'>,
  now = new Date(),
): InvitationStatus {
  if (invitation.state !== InvitationStatus.PENDING) return invitation.state;
  return invitation.expiresAt.getTime() <= now.getTime()
    ? InvitationStatus.EXPIRED
    : InvitationStatus.PENDING;
}
