import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashPassword } from '../auth/password';
import { requireEmail, requirePassword } from '../validation';
import { AuditService, systemRow } from '../modules/audit/audit.service';
import { User } from '../modules/user/user.entity';

export interface BootstrapResult {
  email: string;
  /** set only when the password was generated here: print it once, it is not stored anywhere */
  generatedPassword?: string;
}

/**
 * On an empty database, create the platform admin: BOOTSTRAP_ADMIN_EMAIL/PASSWORD when given,
 * else admin@localhost with a random password. Does nothing once any user exists. An advisory
 * lock keeps two instances starting together from both creating one.
 */
export async function bootstrapAdmin(
  dataSource: DataSource,
  options: { email?: string; password?: string },
): Promise<BootstrapResult | null> {
  return dataSource.transaction(async (m) => {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('empress.bootstrap'))`);
    if ((await m.count(User)) > 0) return null;
    const email = requireEmail(options.email ?? 'admin@localhost');
    const generatedPassword = options.password ? undefined : randomBytes(18).toString('base64url');
    const password = requirePassword(options.password ?? generatedPassword!);
    const user = await m.save(
      m.create(User, {
        email,
        name: 'Platform admin',
        passwordHash: await hashPassword(password),
        isPlatformAdmin: true,
        // the operator named this address: nothing to confirm
        emailVerifiedAt: new Date(),
      }),
    );
    const row = systemRow({
      teamId: null,
      action: 'user.bootstrapAdminCreated',
      actorLabel: 'startup',
      targetType: 'User',
      targetId: user.id,
      requestId: 'startup',
      metadata: { email },
    });
    await new AuditService(dataSource).append(m, [row]);
    return { email, generatedPassword };
  });
}
