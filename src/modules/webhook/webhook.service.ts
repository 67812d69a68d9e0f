import type { DataSource, EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import { badInput, notFound } from '../../errors';
import type { SecretBox } from '../../security/secret-box';
import { optionalText, requireId } from '../../validation';
import type { AuditAction } from '../audit/audit-actions';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { EVENT_TYPES, isEventType, TEST_EVENT } from '../audit/event-types';
import { hydrate } from '../hydrate';
import { lockTeam } from '../team/team-permissions';
import { readDeliveryPage, type DeliveryPage } from './delivery-page';
import { endpointUrlProblem } from './outbound-request';
import { newSigningSecret } from './signature';
import { WebhookDelivery } from './webhook-delivery.entity';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export const MAX_ENDPOINTS_PER_TEAM = 20;
/** After a rotation the old secret signs beside the new one this long. */
export const OLD_SECRET_SIGNS_MS = 24 * 60 * 60 * 1000;
const MAX_URL = 2_000;

export interface EndpointChanges {
  url?: string | null;
  events?: string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

/**
 * A team's webhook endpoints: added with a signing secret shown once (kept sealed), changed,
 * turned off and on, deleted, given a new secret (the old one signs beside it for a day), tested,
 * and their deliveries listed and sent again. Who may call each is decided first by the
 * permission rules (webhooks:manage in the endpoint's team); every change is in the team's log.
 */
export class WebhookService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly dispatcher: WebhookDispatcher,
    private readonly allowPrivate: boolean,
  ) {}

  eventTypes(): string[] {
    return Object.keys(EVENT_TYPES);
  }

  endpointsOf(teamId: string): Promise<WebhookEndpoint[]> {
    return this.dataSource
      .getRepository(WebhookEndpoint)
      .find({ where: { teamId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async create(actor: Actor, teamId: string, input: EndpointChanges) {
    const url = this.checkUrl(input.url);
    const events = checkEvents(input.events);
    const description = optionalText(input.description, 'description', 500);
    const secret = newSigningSecret();
    return this.dataSource.transaction(async (m) => {
      await lockTeam(m, teamId);
      if ((await m.countBy(WebhookEndpoint, { teamId })) >= MAX_ENDPOINTS_PER_TEAM)
        throw badInput(
          `A team may have at most ${MAX_ENDPOINTS_PER_TEAM} webhook endpoints`,
          'url',
        );
      const endpoint = await m.save(
        m.create(WebhookEndpoint, {
          teamId,
          url,
          events,
          description,
          secretBox: this.box.seal(secret),
          createdById: personOf(actor).user.id,
        }),
      );
      await this.record(m, actor, endpoint, 'webhook.endpointCreated', {
        url,
        events,
        description,
      });
      return { endpoint, secret };
    });
  }

  async update(actor: Actor, id: string, input: EndpointChanges): Promise<WebhookEndpoint> {
    const changes: Partial<WebhookEndpoint> = {};
    if (input.url != null) changes.url = this.checkUrl(input.url);
    if (input.events != null) changes.events = checkEvents(input.events);
    if (input.description !== undefined)
      changes.description = optionalText(input.description, 'description', 500);
    if (input.enabled != null) changes.enabled = input.enabled;
    return this.change(actor, id, async (m, endpoint) => {
      const before = Object.fromEntries(
        Object.keys(changes).map((f) => [f, endpoint[f as keyof WebhookEndpoint]]),
      );
      Object.assign(endpoint, changes);
      // turned on again by a person: its failures start counting afresh
      if (changes.enabled) Object.assign(endpoint, { failingSince: null, disabledAt: null });
      const saved = await m.save(endpoint);
      const metadata = { changed: Object.keys(changes), before, after: changes };
      await this.record(m, actor, saved, 'webhook.endpointUpdated', metadata);
      return saved;
    });
  }

  async delete(actor: Actor, id: string): Promise<boolean> {
    return this.change(actor, id, async (m, endpoint) => {
      await this.record(m, actor, endpoint, 'webhook.endpointDeleted', { url: endpoint.url });
      await m.delete(WebhookEndpoint, { id: endpoint.id });
      return true;
    });
  }

  async rotateSecret(actor: Actor, id: string) {
    const secret = newSigningSecret();
    return this.change(actor, id, async (m, endpoint) => {
      Object.assign(endpoint, {
        previousSecretBox: endpoint.secretBox,
        previousSecretUntil: new Date(Date.now() + OLD_SECRET_SIGNS_MS),
        secretBox: this.box.seal(secret),
      });
      const saved = await m.save(endpoint);
      await this.record(m, actor, saved, 'webhook.secretRotated', {
        oldSecretSignsUntil: saved.previousSecretUntil!.toISOString(),
      });
      return { endpoint: saved, secret };
    });
  }

  /**
   * A test event (webhook.test) sent now, signed like any other, whether or not the endpoint is
   * turned on; the attempt as it ended. It is never retried.
   */
  async sendTest(actor: Actor, id: string): Promise<WebhookDelivery> {
    const claimed = await this.change(actor, id, async (m, endpoint) => {
      const payload = {
        type: TEST_EVENT,
        timestamp: new Date().toISOString(),
        data: { teamId: endpoint.teamId, endpointId: endpoint.id },
      };
      const [{ delivery }]: { delivery: Record<string, unknown> }[] = await m.query(
        `WITH e AS (INSERT INTO webhook_events (team_id, type, payload) VALUES ($1, $2, $3::jsonb)
                    RETURNING id)
         INSERT INTO webhook_deliveries
                (event_id, endpoint_id, event_type, attempt, status, due_at, claimed_until)
         SELECT e.id, $4, $2, 1, 'PENDING', now(), now() + interval '1 minute' FROM e
         RETURNING to_jsonb(webhook_deliveries) AS delivery`,
        [endpoint.teamId, TEST_EVENT, JSON.stringify(payload), endpoint.id],
      );
      await this.record(m, actor, endpoint, 'webhook.testSent', { url: endpoint.url });
      return { row: delivery, payload, endpoint };
    });
    const { row, payload, endpoint } = claimed;
    const { url, secretBox, previousSecretBox, previousSecretUntil } = endpoint;
    const sending = { row, payload, url, secretBox, previousSecretBox, previousSecretUntil };
    return this.dispatcher.send(sending, { retry: false });
  }

  /** The event sent again to the endpoint, as a new attempt due now; the attempt. */
  async redeliver(actor: Actor, deliveryId: string): Promise<WebhookDelivery> {
    const delivery = await this.dataSource
      .getRepository(WebhookDelivery)
      .findOneBy({ id: requireId(deliveryId, 'deliveryId') });
    if (!delivery) throw notFound('WebhookDelivery');
    return this.change(actor, delivery.endpointId, async (m, endpoint) => {
      const [row]: Record<string, unknown>[] = await m.query(
        `INSERT INTO webhook_deliveries (event_id, endpoint_id, event_type, attempt, status, due_at)
         SELECT $1, $2, $3, max(attempt) + 1, 'PENDING', now()
           FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2
         RETURNING *`,
        [delivery.eventId, endpoint.id, delivery.eventType],
      );
      await this.record(m, actor, endpoint, 'webhook.redelivered', {
        eventId: delivery.eventId,
        eventType: delivery.eventType,
      });
      return hydrate(this.dataSource, WebhookDelivery, row);
    });
  }

  deliveries(endpointId: string, first: number, after: string | null): Promise<DeliveryPage> {
    return readDeliveryPage(this.dataSource, endpointId, first, after);
  }

  private checkUrl(url: string | null | undefined): string {
    if (typeof url !== 'string' || url.length > MAX_URL)
      throw badInput(`url must be an https:// URL of at most ${MAX_URL} characters`, 'url');
    const problem = endpointUrlProblem(url.trim(), this.allowPrivate);
    if (problem) throw badInput(problem, 'url');
    return new URL(url.trim()).toString();
  }

  /** Locks the endpoint's row and applies a change in one transaction. */
  private change<T>(
    actor: Actor,
    id: string,
    apply: (m: EntityManager, endpoint: WebhookEndpoint) => Promise<T>,
  ): Promise<T> {
    const endpointId = requireId(id, 'id');
    return this.dataSource.transaction(async (m) => {
      const endpoint = await m
        .getRepository(WebhookEndpoint)
        .createQueryBuilder('e')
        .setLock('pessimistic_write')
        .where('e.id = :id', { id: endpointId })
        .getOne();
      if (!endpoint) throw notFound('WebhookEndpoint');
      return apply(m, endpoint);
    });
  }

  private record(
    m: EntityManager,
    actor: Actor,
    endpoint: WebhookEndpoint,
    action: AuditAction,
    metadata: Record<string, unknown>,
  ) {
    return this.audit.record(m, actor, {
      teamId: endpoint.teamId,
      action,
      outcome: AuditOutcome.SUCCESS,
      targetType: 'WebhookEndpoint',
      targetId: endpoint.id,
      metadata,
    });
  }
}

function checkEvents(events: string[] | null | undefined): string[] {
  const unique = [...new Set((events ?? []).map((e) => e.trim()))];
  if (unique.length === 0) throw badInput('events must name at least one event type', 'events');
  if (!unique.every(isEventType))
    throw badInput('events holds a name that is not in webhookEventTypes', 'events');
  return unique.sort();
}
