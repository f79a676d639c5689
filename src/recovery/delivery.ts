/**
 * Getting the confirmation email to the account: APPEND into its live INBOX (needs nothing but the
 * live server, which a restore talks to anyway) or SMTP through nodemailer when configured.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { RecoverySettings } from '../config/settings.js';
import type { UpstreamConnector } from '../upstream/index.js';
import { LiveMailbox } from './live-mailbox.js';
import { buildNotice, type RestoreNotice } from './notice.js';

export interface NoticeDelivery {
  deliver(notice: RestoreNotice): Promise<{ messageId: string }>;
}

export class InboxAppendDelivery implements NoticeDelivery {
  constructor(
    private readonly settings: Pick<RecoverySettings, 'from'>,
    private readonly upstream: UpstreamConnector,
  ) {}

  async deliver(notice: RestoreNotice): Promise<{ messageId: string }> {
    const message = await buildNotice(notice, { from: this.settings.from, to: notice.request.account });
    const live = await LiveMailbox.open(this.upstream, notice.request.account);
    try {
      const [stored] = await live.append('INBOX', [{ raw: message.raw, flags: [], internalDate: new Date() }]);
      if (!stored) throw new Error(`${notice.request.account}: the live server refused the confirmation email into INBOX`);
    } finally {
      await live.close();
    }
    return { messageId: message.messageId };
  }
}

export class SmtpDelivery implements NoticeDelivery {
  private readonly transport: Transporter;

  constructor(private readonly settings: Pick<RecoverySettings, 'from' | 'smtp'>) {
    const smtp = settings.smtp;
    if (!smtp) throw new Error('recovery.deliver is smtp but recovery.smtp is not configured');
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    });
  }

  async deliver(notice: RestoreNotice): Promise<{ messageId: string }> {
    const to = notice.request.account;
    if (!to.includes('@')) throw new Error(`cannot email ${to}: the account name is not an email address (use recovery.deliver: append)`);
    const message = await buildNotice(notice, { from: this.settings.from, to });
    const sender = /<([^>]+)>/.exec(this.settings.from)?.[1] ?? this.settings.from;
    await this.transport.sendMail({ envelope: { from: sender, to }, raw: message.raw });
    return { messageId: message.messageId };
  }
}

export function noticeDeliveryFor(settings: RecoverySettings, upstream: UpstreamConnector): NoticeDelivery {
  return settings.deliver === 'smtp' ? new SmtpDelivery(settings) : new InboxAppendDelivery(settings, upstream);
}
