import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import { hasOpenInvitation } from '../invitation/open-invitation';

/**
 * Who may create an account: the one rule signUp enforces and signUpAllowed reports. Anything
 * that lets an address sign up while sign-up is closed belongs in `admits`, nowhere else.
 */
export class SignUpPolicy {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: Pick<Config, 'allowSignup'>,
  ) {}

  /** whether sign-up is open to anyone (what signUpAllowed answers) */
  get open(): boolean {
    return this.config.allowSignup;
  }

  /** may this (valid, normalised) email sign up now? When closed: only an address someone invited. */
  async admits(email: string): Promise<boolean> {
    return this.open || hasOpenInvitation(this.dataSource, email);
  }
}
