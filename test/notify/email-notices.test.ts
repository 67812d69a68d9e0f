import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createKey } from '../helpers/api-keys';
import { invite, uniqueEmail, type SignedInUser, type TeamFixture } from '../helpers/factories';
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
  ({ t, owner, admin, member, team } = await seed({
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_FROM: 'Empress <empress@example.com>',
    PUBLIC_URL: 'https://empress.example',
    LOGIN_MAX_FAILURES: '3',
  })
    .owner('mail-owner')
    .team('Acme <b>Tools</b>')
    .member('admin', 'Admin', { prefix: 'mail-admin' })
    .member('member', 'Member', { prefix: 'mail-member' }));
}, 60_000);
afterAll(async () => {
  await t?.close();
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
  await invite(t, owner, team.id, address, team.roles.Member);
  const mail = await arrivedFor(address, /invited to join/);
  expect(mail?.subject).toContain('Acme <b>Tools</b>');
  expect(mail?.from?.text).toContain('empress@example.com');
  expect(mail?.text).toContain('https://empress.example/dashboard');
  // the HTML part says the same, with what people typed escaped
  expect(mail?.html).toContain('Acme &lt;b&gt;Tools&lt;/b&gt;');
  expect(mail?.html).toContain('href="https://empress.example/dashboard"');
});

it("the owner of a key hears that it expires soon, with a link to the key's page", async () => {
  const key = await createKey(t, owner, team.id, {
    name: 'nightly export',
    expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
  });
  await t.server.services.expiryNotices.runOnce();
  const mail = await arrivedFor(owner.email, /nightly export" expires in 7 days/);
  expect(mail?.text).toContain(
    `https://empress.example/teams/${team.id}/settings/profile-team/api-access/${key.id}`,
  );
});

it("a leaked key's owner and the team's key managers are told it was revoked; a Member is not", async () => {
  const key = await createKey(t, owner, team.id, { name: 'pasted in a gist' });
  await t.gql(`mutation($s: String!, $u: String) { reportLeakedSecret(secret: $s, url: $u) }`, {
    s: key.secret,
    u: 'https://gist.example/abc',
  });
  for (const person of [owner, admin]) {
    const mail = await arrivedFor(person.email, /secret was found in public/);
    expect(mail?.text).toContain('https://gist.example/abc');
    expect(mail?.text).not.toContain(key.secret);
  }
  await new Promise((r) => setTimeout(r, 2_500));
  expect(to(member.email).filter((m) => /found in public/.test(m.subject ?? ''))).toEqual([]);
});

it('an account locked after failed sign-ins is told so', async () => {
  for (let i = 0; i < 4; i++)
    await t.gql(
      `mutation($e: String!) { logIn(email: $e, password: "not the password") { token } }`,
      {
        e: member.email,
      },
    );
  const mail = await arrivedFor(member.email, /paused after failed attempts/);
  expect(mail?.text).toContain('https://empress.example/sign-in');
});

it('without SMTP_URL nothing is written to send', async () => {
  const quiet = await startTestServer();
  try {
    const address = uniqueEmail('unmailed');
    await invite(quiet, owner, team.id, address, team.roles.Member);
    const [{ n }] = await quiet.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM email_outbox WHERE to_address = $1`,
      [address],
    );
    expect(n).toBe(0);
  } finally {
    await quiet.close();
  }
});
