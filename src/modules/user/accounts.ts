import type { DataSource } from 'typeorm';
import { PasswordHasher } from '../../auth/password';
import type { Config } from '../../config';
import type { FailureStore } from '../../security/failure-store';
import { SignInLimits } from '../../security/sign-in-limits';
import { SignUpLimits } from '../../security/sign-up-limits';
import type { AuditService } from '../audit/audit.service';
import { AccountLockouts } from './account-lockouts';
import { SessionService } from './session.service';
import { SignUpPolicy } from './sign-up-policy';
import { UserService } from './user.service';
import { EmailVerificationService } from './email-verification.service';

/** The account services of one server: users, their sessions, and the bounded password hasher. */
export function createAccountServices(
  dataSource: DataSource,
  audit: AuditService,
  failures: FailureStore,
  config: Config,
) {
  const { limits } = config;
  const passwords = new PasswordHasher({
    concurrency: limits.hashConcurrency,
    queue: limits.hashQueue,
  });
  const sessions = new SessionService(dataSource, audit, config);
  const signUpPolicy = new SignUpPolicy(dataSource, config);
  const signInLimits = new SignInLimits(failures, {
    perAccountAndAddress: limits.loginFailures,
    perAddress: limits.loginAddressFailures,
    perAccount: limits.loginAccountFailures,
    windowSeconds: limits.loginWindowMinutes * 60,
  });
  const signUpLimits = new SignUpLimits(failures, {
    perAddress: limits.signUpsPerAddress,
    total: limits.signUpsTotal,
    windowSeconds: limits.signUpWindowMinutes * 60,
  });
  const verification = new EmailVerificationService(
    dataSource,
    audit,
    config.smtp ? config.publicUrl : null,
  );
  const users = new UserService({
    dataSource,
    audit,
    sessions,
    passwords,
    signInLimits,
    signUpLimits,
    signUpPolicy,
    verification,
  });
  const lockouts = new AccountLockouts(dataSource);
  return { users, sessions, lockouts, passwords, signUpPolicy, verification };
}
