import { ApiKeyPolicy } from '../modules/api-key-policy/api-key-policy.entity';
import { ApiKey } from '../modules/api-key/api-key.entity';
import { AuditEvent } from '../modules/audit/audit-event.entity';
import { Invitation } from '../modules/invitation/invitation.entity';
import { Membership } from '../modules/team/membership.entity';
import { PermissionGrant } from '../modules/team/permission-grant.entity';
import { Role } from '../modules/team/role.entity';
import { Team } from '../modules/team/team.entity';
import { Session } from '../modules/user/session.entity';
import { User } from '../modules/user/user.entity';
import { WebhookDelivery } from '../modules/webhook/webhook-delivery.entity';
import { WebhookEndpoint } from '../modules/webhook/webhook-endpoint.entity';

export const entities = [
  User,
  Session,
  Team,
  Role,
  Membership,
  PermissionGrant,
  ApiKey,
  AuditEvent,
  Invitation,
  ApiKeyPolicy,
  WebhookEndpoint,
  WebhookDelivery,
];
