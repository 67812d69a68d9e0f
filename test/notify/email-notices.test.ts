import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createKey } from '../helpers/api-keys';
import {
  invite,
  signUp,
  uniqueEmail,
  type SignedInUser,
  type TeamFixture,
} from '../helpers/factories';
import { codeOf } from '../helpers/graphql';
import { eventually } from '../helpers/http';
import { seed, type SeededMember } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Email notices through a real SMTP server running in the test: an invitation, a key of yours
 * expiring, a key of your team revoked because its secret leaked (to its owner and those who
 * manage the team's keys), a sign-in lockout on your account. Plain text and an HTML part, with
 * a link into the dashboard. A server without SMTP_URL writes none.
 */
let smtp: SMTPServer;
const inbox: ParsedMail[] = [];
let t: TestServer;
let mail: TestServer;
let owner: SignedInUser;
let admin: SeededMember;
let member: SeededMember;
let team: TeamFixture;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      simpleParser(stream)
        .then((mail) => inbox.push(mail))
        .then(() => done(), done);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  // the team is made on a server without email (whose members join unasked to confirm), and
  // everything that sends email happens on one with SMTP_URL, on the same database
  ({ t, owner, admin, member, team } = await seed()
    .owner('mail-owner')
    .team('Acme <b>Tools</b>')
    .member('admin', 'Admin', { prefix: 'mail-admin' })
    .member('member', 'Member', { prefix: 'mail-member' }));
  mail = await startTestServer({
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_FROM: 'Empress <empress@example.com>',
    PUBLIC_URL: 'https://empress.example',
    LOGIN_MAX_FAILURES: '3',
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([t?.close(), mail?.close()]);
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

const to = (address: string) =>
  inbox.filter((mail) => mail.to && 'text' in mail.to && mail.to.text.includes(address));

async function arrivedFor(address: string, subject: RegExp): Promise<ParsedMail | undefined> {
  await eventually(async () => to(address).some((m) => subject.test(m.subject ?? '')), 10_000);
  return to(address).find((m) => subject.test(m.subject ?? ''));
}

it('an invitation is emailed to the address invited, with a link into the dashboard', async () => {
  const address = uniqueEmail('invitee');
  await invite(mail, owner, team.id, address, team.roles.Member);
  const letter = await arrivedFor(address, /invited to join/);
  expect(letter?.subject).toContain('Acme <b>Tools</b>');
  expect(letter?.from?.text).toContain('empress@example.com');
  expect(letter?.text).toContain('https://empress.example/dashboard');
  // the HTML part says the same, with what people typed escaped
  expect(letter?.html).toContain('Acme &lt;b&gt;Tools&lt;/b&gt;');
  expect(letter?.html).toContain('href="https://empress.example/dashboard"');
});

it("the owner of a key hears that it expires soon, with a link to the key's page", async () => {
  const key = await createKey(mail, owner, team.id, {
    name: 'nightly export',
    expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
  });
  await mail.server.services.expiryNotices.runOnce();
  const letter = await arrivedFor(owner.email, /nightly export" expires in 7 days/);
  expect(letter?.text).toContain(
    `https://empress.example/teams/${team.id}/settings/profile-team/api-access/${key.id}`,
  );
});

it("a leaked key's owner and the team's key managers are told it was revoked; a Member is not", async () => {
  const key = await createKey(mail, owner, team.id, { name: 'pasted in a gist' });
  await mail.gql(`mutation($s: String!, $u: String) { reportLeakedSecret(secret: $s, url: $u) }`, {
    s: key.secret,
    u: 'https://gist.example/abc',
  });
  for (const person of [owner, admin]) {
    const letter = await arrivedFor(person.email, /secret was found in public/);
    expect(letter?.text).toContain('https://gist.example/abc');
    expect(letter?.text).not.toContain(key.secret);
  }
  await new Promise((r) => setTimeout(r, 2_500));
  expect(to(member.email).filter((m) => /found in public/.test(m.subject ?? ''))).toEqual([]);
});

it('an account locked after failed sign-ins is told so', async () => {
  const person = await signUp(mail, 'locked-out');
  for (let i = 0; i < 4; i++)
    await mail.gql(
      `mutation($e: String!) { logIn(email: $e, password: "not the password") { token } }`,
      {
        e: person.email,
      },
    );
  const letter = await arrivedFor(person.email, /paused after failed attempts/);
  expect(letter?.text).toContain('https://empress.example/sign-in');
});

it('without SMTP_URL nothing is written to send', async () => {
  const address = uniqueEmail('unmailed');
  await invite(t, owner, team.id, address, team.roles.Member);
  const [{ n }] = await t.dataSource.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM email_outbox WHERE to_address = $1`,
    [address],
  );
  expect(n).toBe(0);
});

describe('confirming an address', () => {
  const ME = `{ me { emailVerified } }`;
  const ACCEPT = `mutation($id: ID!) { acceptInvitation(id: $id) { id } }`;
  const VERIFY = `mutation($t: String!) { verifyEmail(token: $t) }`;

  it('a new account is sent a link; until it follows it, it cannot join a team', async () => {
    const person = await signUp(mail, 'confirmer');
    const letter = await arrivedFor(person.email, /Confirm your email address/);
    const link = /https:\/\/empress\.example\/verify-email\?token=([\w-]+)/.exec(
      letter?.text ?? '',
    );
    expect(link).not.toBeNull();
    const token = link![1];
    expect((await mail.gql(ME, {}, person.headers)).data).toEqual({ me: { emailVerified: false } });

    const invitation = await invite(mail, owner, team.id, person.email, team.roles.Member);
    const early = await mail.gql(ACCEPT, { id: invitation }, person.headers);
    expect(codeOf(early)).toBe('CONFLICT');
    expect(early.errors?.[0]?.message).toMatch(/Confirm your email address/);

    expect((await mail.gql(VERIFY, { t: token })).data).toEqual({ verifyEmail: true });
    expect((await mail.gql(ME, {}, person.headers)).data).toEqual({ me: { emailVerified: true } });
    expect((await mail.gql(ACCEPT, { id: invitation }, person.headers)).errors).toBeUndefined();

    // one use only; garbage tells nothing more
    for (const t of [token, 'not-a-token', 'x'.repeat(500)]) {
      const again = await mail.gql(VERIFY, { t });
      expect({ code: codeOf(again), field: again.errors?.[0]?.extensions?.field }).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'token',
      });
    }
    // the link is a credential: kept only as a digest, and blanked in the outbox once sent
    const rows = await mail.dataSource.query<{ link: string }[]>(
      `SELECT link FROM email_outbox WHERE to_address = $1 AND sent_at IS NOT NULL`,
      [person.email],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.link === '')).toBe(true);
    const audit = await mail.dataSource.query<{ metadata: unknown }[]>(
      `SELECT metadata FROM audit_events WHERE target_id = $1`,
      [person.id],
    );
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('a new link is sent on request, at most once a minute', async () => {
    const person = await signUp(mail, 'resender');
    await arrivedFor(person.email, /Confirm your email address/);
    const RESEND = `mutation { sendEmailVerification }`;
    // the sign-up's own link was sent just now
    expect(codeOf(await mail.gql(RESEND, {}, person.headers))).toBe('RATE_LIMITED');
    await mail.dataSource.query(
      `UPDATE email_verifications SET created_at = now() - interval '2 minutes' WHERE user_id = $1`,
      [person.id],
    );
    expect((await mail.gql(RESEND, {}, person.headers)).data).toEqual({
      sendEmailVerification: true,
    });
    await eventually(async () => to(person.email).length === 2, 10_000);
    expect(to(person.email)).toHaveLength(2);
  });

  it('a server that sends no email asks nobody to confirm', async () => {
    const person = await signUp(t, 'unconfirmed');
    expect((await t.gql(ME, {}, person.headers)).data).toEqual({ me: { emailVerified: true } });
    const invitation = await invite(t, owner, team.id, person.email, team.roles.Member);
    expect((await t.gql(ACCEPT, { id: invitation }, person.headers)).errors).toBeUndefined();
    expect((await t.gql(`mutation { sendEmailVerification }`, {}, person.headers)).data).toEqual({
      sendEmailVerification: false,
    });
  });
});
