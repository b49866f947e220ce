import { authenticate, type DNSResolver } from 'mailauth';

/** SPF, DKIM and DMARC verdicts of one inbound mail, as recorded on the message. */
export interface SenderAuthentication {
  spf: string | null;
  dkim: string | null;
  dmarc: string | null;
  /** Only a DMARC pass proves the From address; anything else is an unverified claim. */
  verified: boolean;
}

export interface SmtpContext {
  ip?: string;
  helo?: string;
  mailFrom?: string;
}

const CHECK_BUDGET_MS = 5000;

/**
 * Checks who really sent a mail (mailauth). The DNS resolver is injectable so tests run offline.
 * DNS trouble or a slow answer gives an unverified verdict rather than a stuck mail: an
 * unverified sender still reaches the team, only account data stays hidden for it.
 */
export async function authenticateSender(
  raw: Buffer,
  context: SmtpContext,
  options: { resolver?: DNSResolver; mta: string },
): Promise<SenderAuthentication> {
  const unverified = (reason: string): SenderAuthentication => ({ spf: reason, dkim: reason, dmarc: reason, verified: false });
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      authenticate(raw, {
        ...(context.ip ? { ip: context.ip } : {}),
        ...(context.helo ? { helo: context.helo } : {}),
        ...(context.mailFrom ? { sender: context.mailFrom } : {}),
        mta: options.mta,
        disableArc: true,
        disableBimi: true,
        ...(options.resolver ? { resolver: options.resolver } : {}),
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_BUDGET_MS);
      }),
    ]);
    const dkimResults = result.dkim?.results ?? [];
    const dkim = dkimResults.find((r) => r.status?.result === 'pass')?.status.result ?? dkimResults[0]?.status?.result ?? 'none';
    const spf = result.spf ? result.spf.status.result : null;
    const dmarc = result.dmarc ? result.dmarc.status.result : 'none';
    return { spf, dkim, dmarc, verified: dmarc === 'pass' };
  } catch {
    return unverified('temperror');
  } finally {
    clearTimeout(timer);
  }
}
