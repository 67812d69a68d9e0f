import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { HeavyWorkGate } from '../capacity/heavy-work';
import { OperationLeases } from '../capacity/leases';
import { MaintenanceJob } from '../maintenance/maintenance-job';
import { ApiKeyCache } from './api-key/api-key-cache';
import { ApiKeyChangeFeed } from './api-key/api-key-change-feed';
import { ApiKeyPolicyService } from './api-key-policy/api-key-policy.service';
import { ApiKeyService } from './api-key/api-key.service';
import { CreditLeases } from './api-key/credit-leases';
import { ExpiryNotices } from './api-key/expiry-notices';
import { KeyRateLimiter } from './api-key/key-rate-limiter';
import { ApiKeyVerifier } from './api-key/api-key-verifier';
import { LeakedSecretService } from './api-key/leaked-secrets';
import { UsageRecorder } from './api-key/usage-recorder';
import { AuditQueryService } from './audit/audit-query.service';
import { AuditService } from './audit/audit.service';
import { InvitationService } from './invitation/invitation.service';
import { PlatformAdminReads } from './audit/platform-admin-reads';
import { SecurityLog } from './audit/security-log';
import { ChainVerifier } from './audit/chain-verifier';
import { MembershipService } from './team/membership.service';
import { RoleService } from './team/role.service';
import { TeamService } from './team/team.service';
import { createAccountServices } from './user/accounts';
import { BatchedFailureLimiter } from '../security/batched-failure-limiter';
import { createFailureStore, type FailureStore } from '../security/failure-store';
import { proxyTrust } from '../security/trusted-proxies';
import { SecretBox, secretBoxKey } from '../security/secret-box';
import { WebhookDispatcher } from './webhook/webhook-dispatcher';
import { WebhookService } from './webhook/webhook.service';
import { enqueueEmails } from './notify/email-notices';
import { EmailSender } from './notify/email-sender';
import { LeakReportLimits } from '../security/leak-report-limits';

/** A gateway asking for many clients may fail this many times more than a single address. */
const GATEWAY_FACTOR = 20;

/** Failed verifications counted per address (or client), and per gateway over all its clients. */
function verificationLimits(failures: FailureStore, limits: Config['limits']) {
  const windowSeconds = limits.verifyWindowSeconds;
  return {
    address: new BatchedFailureLimiter(
      failures,
      { max: limits.verifyFailures, windowSeconds },
      'verify',
    ),
    gateway: new BatchedFailureLimiter(
      failures,
      { max: limits.verifyFailures * GATEWAY_FACTOR, windowSeconds },
      'verify-gateway',
    ),
  };
}

/**
 * The domain services of one server, wired once. Resolvers reach them through the context.
 * start()/stop() run the background parts: the key change feed (LISTEN/NOTIFY), the usage
 * recorder, which stop() flushes, and the maintenance job (purges of spent rows).
 */
export function createServices(dataSource: DataSource, config: Config, logger: Logger) {
  const audit = new AuditService(dataSource);
  const feed = new ApiKeyChangeFeed(String((dataSource.options as { url?: string }).url));
  const usage = new UsageRecorder(dataSource, audit, logger);
  const securityLog = new SecurityLog(
    dataSource,
    audit,
    config.limits.securityLogRowsPerMinute,
    logger,
  );
  const failures = createFailureStore(dataSource, config.redisUrl);
  const verifyLimits = verificationLimits(failures, config.limits);
  const maintenance = new MaintenanceJob(dataSource, config.maintenanceIntervalSeconds, logger);
  // heavy work (chain walks, export batches, large audit pages) shares a few pool connections
  const heavyWork = new HeavyWorkGate(config.limits.heavyWorkConnections);
  const leases = new OperationLeases(dataSource);
  const apiKeyPolicies = new ApiKeyPolicyService(dataSource, audit);
  const accounts = createAccountServices(dataSource, audit, failures, config);
  const keyRates = new KeyRateLimiter(failures, logger);
  const keyCredits = new CreditLeases(dataSource, logger);
  const { allowPrivate } = config.webhooks;
  const secretBox = new SecretBox(() => secretBoxKey(config.webhooks.secretsKey, config.dataDir));
  const dispatcher = new WebhookDispatcher(dataSource, secretBox, audit, allowPrivate, logger);
  const expiryNotices = new ExpiryNotices(dataSource, audit, logger);
  const { smtp } = config;
  const emails = smtp ? new EmailSender(dataSource, smtp.url, smtp.from, logger) : null;
  if (smtp) audit.onAppend = (m, rows) => enqueueEmails(m, rows, config.publicUrl);
  /** Stops the work done on timers (purges, deliveries, notices), waiting for what runs. */
  const stopTimedWork = async () => {
    await maintenance.stop();
    await dispatcher.stop();
    await expiryNotices.stop();
    await emails?.stop();
  };
  const services = {
    audit,
    auditLog: new AuditQueryService(dataSource, heavyWork),
    chains: new ChainVerifier(dataSource, heavyWork, leases),
    heavyWork,
    leases,
    usage,
    ...accounts,
    securityLog,
    adminReads: new PlatformAdminReads(dataSource, audit),
    teams: new TeamService(dataSource, audit),
    memberships: new MembershipService(dataSource, audit, feed),
    invitations: new InvitationService(
      dataSource,
      audit,
      feed,
      config.invitations,
      accounts.verification,
    ),
    roles: new RoleService(dataSource, audit, feed),
    apiKeyPolicies,
    apiKeys: new ApiKeyService(dataSource, audit, feed, apiKeyPolicies),
    // reported secrets: revoked through the same feed; reports counted per address, across instances
    leakedSecrets: new LeakedSecretService(
      dataSource,
      audit,
      feed,
      new LeakReportLimits(
        failures,
        config.limits.leakReportsPerAddress,
        config.limits.leakReportWindowMinutes * 60,
      ),
    ),
    verifier: new ApiKeyVerifier(
      new ApiKeyCache(dataSource, feed),
      verifyLimits,
      usage,
      proxyTrust(config.trustProxy),
      keyRates,
      keyCredits,
    ),
    webhooks: new WebhookService(dataSource, audit, secretBox, dispatcher, allowPrivate),
    maintenance,
    expiryNotices,
    async start() {
      await feed.start();
      usage.start();
      maintenance.start();
      securityLog.start();
      verifyLimits.address.start();
      verifyLimits.gateway.start();
      keyRates.start();
      keyCredits.start();
      dispatcher.start();
      expiryNotices.start();
      emails?.start();
    },
    stopTimedWork,
    async stop() {
      await stopTimedWork();
      await usage.stop();
      await securityLog.stop();
      await verifyLimits.address.stop();
      await verifyLimits.gateway.stop();
      await keyRates.stop();
      await keyCredits.stop();
      await feed.stop();
      await failures.close();
    },
  };
  return services;
}

export type Services = ReturnType<typeof createServices>;
