/**
 * Getting the confirmation email to the account: APPEND into its live INBOX (needs nothing but the
 * live server, which a restore talks to anyway) or SMTP through nodemailer when configured.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/schema.js';
import { LiveMailbox } from './live-mailbox.js';
import { buildNotice, type RestoreNotice } from './notice.js';

export interface NoticeDelivery {
  deliver(notice: RestoreNotice): Promise<{ messageId: string }>;
}

export class InboxAppendDelivery implements NoticeDelivery {
  constructor(private readonly config: Config) {}

  async deliver(notice: RestoreNotice): Promise<{ messageId: string }> {
    const message = await buildNotice(notice, { from: this.config.recovery.from, to: notice.request.account });
    const live = await LiveMailbox.open(this.config, notice.request.account);
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

  constructor(private readonly config: Config) {
    const smtp = config.recovery.smtp;
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
    const message = await buildNotice(notice, { from: this.config.recovery.from, to });
    const sender = /<([^>]+)>/.exec(this.config.recovery.from)?.[1] ?? this.config.recovery.from;
    await this.transport.sendMail({ envelope: { from: sender, to }, raw: message.raw });
    return { messageId: message.messageId };
  }
}

export function noticeDeliveryFor(config: Config): NoticeDelivery {
  return config.recovery.deliver === 'smtp' ? new SmtpDelivery(config) : new InboxAppendDelivery(config);
}
