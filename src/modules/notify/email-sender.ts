import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { storable } from '../../validation';

const POLL_MS = 2_000;
const BATCH = 10;
/** Minutes before each retry of an email the server did not take; then it is given up. */
const RETRY_MINUTES = [1, 5, 30, 120, 720];

interface Outgoing {
  id: string;
  to_address: string;
  subject: string;
  paragraphs: string[];
  link: string;
  attempts: number;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The letter: plain text, and a simple HTML part saying the same, with the link as a button. */
export function letterOf(email: Pick<Outgoing, 'paragraphs' | 'link'>) {
  const text = [...email.paragraphs, `Open the dashboard: ${email.link}`].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family: system-ui, sans-serif; line-height: 1.5">',
    ...email.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p><a href="${escapeHtml(email.link)}">Open the dashboard</a></p>`,
    '<p style="color:#555">Empress API Access</p></body></html>',
  ].join('\n');
  return { text, html };
}

/**
 * Sends the email outbox through SMTP_URL (nodemailer): every 2 s each instance claims up to ten
 * unsent emails (FOR UPDATE SKIP LOCKED, then marked claimed), so one instance sends each; a
 * server that refuses is asked again after 1, 5, 30, 120 and 720 minutes, then the email is
 * given up (kept with its last error). Once sent or given up, an email's link is blanked: a
 * confirmation link is a credential, and the outbox is kept 30 days.
 */
export class EmailSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly transport: Transporter;

  constructor(
    private readonly dataSource: DataSource,
    smtpUrl: string,
    private readonly from: string,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    this.transport.close();
  }

  tick(): Promise<void> {
    this.running ??= this.sendDue()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'email: a round failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async sendDue(): Promise<void> {
    const due: Outgoing[] = await this.dataSource
      .query(
        `UPDATE email_outbox SET claimed_until = now() + interval '2 minutes'
        WHERE id IN (SELECT id FROM email_outbox
                      WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                        AND (claimed_until IS NULL OR claimed_until < now())
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, to_address, subject, paragraphs, link, attempts`,
        [BATCH],
      )
      .then((answer: [Outgoing[], number]) => answer[0]);
    for (const email of due) await this.send(email);
  }

  private async send(email: Outgoing): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.from,
        to: email.to_address,
        subject: email.subject,
        ...letterOf(email),
      });
      await this.dataSource.query(
        `UPDATE email_outbox SET sent_at = now(), claimed_until = NULL, attempts = attempts + 1,
                link = '' WHERE id = $1`,
        [email.id],
      );
    } catch (error) {
      const wait = RETRY_MINUTES[email.attempts];
      const reason = storable(String((error as Error).message ?? error).slice(0, 200));
      this.logger.warn({ emailId: email.id, reason }, 'email: the server did not take it');
      await this.dataSource.query(
        `UPDATE email_outbox SET attempts = attempts + 1, claimed_until = NULL, last_error = $2,
                next_attempt_at = now() + make_interval(mins => $3),
                failed_at = CASE WHEN $4 THEN now() END,
                link = CASE WHEN $4 THEN '' ELSE link END
          WHERE id = $1`,
        [email.id, reason, wait ?? 0, wait === undefined],
      );
    }
  }
}
