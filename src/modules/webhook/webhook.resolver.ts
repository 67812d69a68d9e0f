import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireId } from '../../validation';
import type { GraphQLContext } from '../graphql-context';
import { Team } from '../team/team.entity';
import { WebhookDelivery, WebhookDeliveryConnection } from './webhook-delivery.entity';
import { WebhookEndpoint, WebhookEndpointWithSecret } from './webhook-endpoint.entity';

@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  @Query(() => [String], {
    description: 'Every event type a webhook endpoint can receive, e.g. apiKey.revoked.',
  })
  webhookEventTypes(@Ctx() { services }: GraphQLContext): string[] {
    return services.webhooks.eventTypes();
  }

  @Mutation(() => WebhookEndpointWithSecret, {
    description:
      'Add a webhook endpoint (webhooks:manage). Its signing secret is in the answer, once.',
  })
  createWebhookEndpoint(
    @Arg('teamId', () => ID, { description: 'The team.' }) teamId: string,
    @Arg('url', { description: 'An https:// URL; it must point to a public address.' })
    url: string,
    @Arg('events', () => [String], { description: 'Event types to send, from webhookEventTypes.' })
    events: string[],
    @Arg('description', () => String, {
      nullable: true,
      description: 'What the endpoint is for; up to 500 characters.',
    })
    description: string | null,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<WebhookEndpointWithSecret> {
    const team = requireId(teamId, 'teamId');
    return services.webhooks.create(actor, team, { url, events, description });
  }

  @Mutation(() => WebhookEndpoint, {
    description:
      'Change a webhook endpoint (webhooks:manage); arguments left out stay as they are.',
  })
  updateWebhookEndpoint(
    @Arg('id', () => ID, { description: 'The endpoint.' }) id: string,
    @Arg('url', () => String, { nullable: true, description: 'A new https:// URL.' })
    url: string | null,
    @Arg('events', () => [String], { nullable: true, description: 'New event types.' })
    events: string[] | null,
    @Arg('description', () => String, {
      nullable: true,
      description: 'A new description; an empty string clears it.',
    })
    description: string | null | undefined,
    @Arg('enabled', () => Boolean, {
      nullable: true,
      description: 'false stops deliveries; true starts them again.',
    })
    enabled: boolean | null,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<WebhookEndpoint> {
    return services.webhooks.update(actor, id, { url, events, description, enabled });
  }

  @Mutation(() => Boolean, {
    description: 'Delete a webhook endpoint and its deliveries (webhooks:manage).',
  })
  deleteWebhookEndpoint(
    @Arg('id', () => ID, { description: 'The endpoint.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.webhooks.delete(actor, id);
  }

  @Mutation(() => WebhookEndpointWithSecret, {
    description:
      'Give an endpoint a new signing secret, shown once (webhooks:manage); the old one signs beside it for 24 hours.',
  })
  rotateWebhookSecret(
    @Arg('id', () => ID, { description: 'The endpoint.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<WebhookEndpointWithSecret> {
    return services.webhooks.rotateSecret(actor, id);
  }

  @Mutation(() => WebhookDelivery, {
    description: 'Send a test event (webhook.test) to the endpoint now (webhooks:manage).',
  })
  sendTestWebhook(
    @Arg('id', () => ID, { description: 'The endpoint.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<WebhookDelivery> {
    return services.webhooks.sendTest(actor, id);
  }

  @Mutation(() => WebhookDelivery, {
    description: 'Send the event of a delivery again, as a new attempt (webhooks:manage).',
  })
  redeliverWebhook(
    @Arg('deliveryId', () => ID, { description: 'Any attempt of the event to send again.' })
    deliveryId: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<WebhookDelivery> {
    return services.webhooks.redeliver(actor, deliveryId);
  }

  @FieldResolver(() => WebhookDeliveryConnection, {
    description: "The endpoint's delivery attempts, newest first.",
  })
  deliveries(
    @Root() endpoint: WebhookEndpoint,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 20,
      description: 'Page size, 0 to 100 (larger values give 100).',
    })
    first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' })
    after: string | null,
    @Ctx() { services }: GraphQLContext,
  ): Promise<WebhookDeliveryConnection> {
    return services.webhooks.deliveries(endpoint.id, first ?? 20, after);
  }
}

@Resolver(() => Team)
export class TeamWebhooksResolver {
  @FieldResolver(() => [WebhookEndpoint], { description: 'webhooks:manage' })
  webhookEndpoints(
    @Root() team: Team,
    @Ctx() { services }: GraphQLContext,
  ): Promise<WebhookEndpoint[]> {
    return services.webhooks.endpointsOf(team.id);
  }
}
