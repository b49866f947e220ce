import { ImapFlow, type FetchMessageObject, type MailboxObject } from 'imapflow';
import { receiveMail, type ReceiveDeps } from './receive.js';

export interface ImapTarget {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  /** The folder polled (default INBOX). */
  folder: string;
  /** Where processed mail is moved after it is flagged \Seen (`?moveTo=` in the URL); null = it stays. */
  moveTo: string | null;
  /** The row key in imap_state: user@host:port/folder (never the password). */
  account: string;
}

/** imap://user:password@host:143/INBOX or imaps://user:password@host:993/Folder?moveTo=Done */
export function parseImapUrl(url: string): ImapTarget {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'imaps:';
  if (!secure && parsed.protocol !== 'imap:') throw new Error('an IMAP URL must start with imap:// or imaps://');
  if (!parsed.hostname) throw new Error('the IMAP URL names no host');
  const port = parsed.port ? Number(parsed.port) : secure ? 993 : 143;
  const user = decodeURIComponent(parsed.username);
  const folder = decodeURIComponent(parsed.pathname.replace(/^\/+/, '')) || 'INBOX';
  const moveTo = parsed.searchParams.get('moveTo') || null;
  return {
    host: parsed.hostname,
    port,
    secure,
    user,
    password: decodeURIComponent(parsed.password),
    folder,
    moveTo,
    account: `${user}@${parsed.hostname}:${port}/${folder}`,
  };
}

export interface PollResult {
  /** Messages downloaded and handed to the pipeline. */
  fetched: number;
  /** Of those, newly stored (a Message-ID already stored counts as skipped). */
  stored: number;
  /** Duplicates, bounces, rejected (unparseable, no sender) and oversize mail: flagged, not stored. */
  skipped: number;
}

export interface ImapPollerDeps extends ReceiveDeps {
  /** imap(s)://user:password@host:port/Folder[?moveTo=Folder] */
  url: string;
  /** Most messages taken in per poll (the rest come next poll); default 500. */
  maxPerPoll?: number;
}

interface Candidate {
  uid: number;
  size: number | undefined;
}

/**
 * Polls one IMAP folder and takes each message in exactly once. Progress is kept per folder in
 * `imap_state` as (UIDVALIDITY, last UID): a poll fetches UIDs above the last one, in UID order,
 * runs each through `receiveMail()` (which dedupes by mailbox and Message-ID), flags it `\Seen`
 * (and moves it when `?moveTo=` is set) and then advances the last UID. A crash between storing
 * and advancing only re-reads that message, which the Message-ID dedupe stores once. A thrown
 * error (database trouble) ends the poll without advancing, so the message is retried next poll.
 *
 * - First poll of a folder (no state): every message in it is taken in.
 * - UIDVALIDITY changed (folder recreated, server migrated or its index rebuilt): the stored UID
 *   means nothing any more, and re-reading the whole folder is expensive, so only messages NOT
 *   flagged `\Seen` are taken in — the poller flags everything it processes, so that is exactly the
 *   mail it has not handled (anything it did handle whose flag was lost is caught by the Message-ID
 *   dedupe). The new UIDVALIDITY is recorded only when that scan has finished: a crash during it
 *   repeats it, and what was done is flagged by then.
 */
export class ImapPoller {
  readonly target: ImapTarget;
  private running: Promise<PollResult> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  /** Bumped by stop(): a poll started before it ends after its current message. */
  private generation = 0;
  private client: ImapFlow | null = null;

  constructor(private readonly deps: ImapPollerDeps) {
    this.target = parseImapUrl(deps.url);
  }

  /** One poll; concurrent calls wait for the poll under way and then run their own. */
  async pollOnce(): Promise<PollResult> {
    while (this.running) await this.running.catch(() => undefined);
    const poll = this.poll();
    this.running = poll;
    try {
      return await poll;
    } finally {
      if (this.running === poll) this.running = null;
    }
  }

  /** Polls now and then every `intervalMs` (measured from the end of one poll to the next). */
  start(intervalMs: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = async () => {
      this.timer = null;
      try {
        const result = await this.pollOnce();
        if (result.fetched > 0) this.deps.log.info({ account: this.target.account, ...result }, 'IMAP poll');
      } catch (error) {
        this.deps.log.warn({ err: error, account: this.target.account }, 'IMAP poll failed; retrying at the next interval');
      }
      if (!this.stopped) {
        this.timer = setTimeout(() => void tick(), intervalMs);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(() => void tick(), 0);
    this.timer.unref();
  }

  /** Stops polling; a poll under way ends after its current message (forced off after 5 s). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const running = this.running;
    if (!running) return;
    let timeout: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      running.then(() => true, () => true),
      new Promise<false>((resolve) => (timeout = setTimeout(() => resolve(false), 5_000))),
    ]);
    clearTimeout(timeout);
    if (!settled) {
      this.client?.close();
      await running.catch(() => undefined);
    }
  }

  private async poll(): Promise<PollResult> {
    const { target, deps } = this;
    const result: PollResult = { fetched: 0, stored: 0, skipped: 0 };
    const generation = this.generation;
    const client = new ImapFlow({
      host: target.host,
      port: target.port,
      secure: target.secure,
      auth: { user: target.user, pass: target.password },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 120_000,
    });
    // Connection errors surface through the awaited calls; an unhandled 'error' event would crash.
    client.on('error', (error: Error) => deps.log.warn({ err: error, account: target.account }, 'IMAP connection error'));
    this.client = client;
    try {
      await client.connect();
      const lock = await client.getMailboxLock(target.folder);
      try {
        const box = client.mailbox as MailboxObject;
        const validity = Number(box.uidValidity);
        const highest = box.uidNext - 1;
        const state = await deps.store.db.selectFrom('imap_state').select(['uid_validity', 'last_uid']).where('account', '=', target.account).executeTakeFirst();
        const rescan = state !== undefined && Number(state.uid_validity) !== validity;
        let lastUid = state && !rescan ? Number(state.last_uid) : 0;

        let candidates: Candidate[];
        if (rescan) {
          deps.log.warn({ account: target.account, was: Number(state.uid_validity), now: validity }, 'IMAP UIDVALIDITY changed; taking in only mail not flagged \\Seen');
          const unseen = box.exists > 0 ? await client.search({ seen: false }, { uid: true }) : [];
          candidates = unseen && unseen.length > 0 ? await this.list(client, unseen) : [];
        } else if (box.exists === 0 || highest <= lastUid) {
          candidates = [];
        } else {
          candidates = (await this.list(client, `${lastUid + 1}:*`)).filter((c) => c.uid > lastUid);
        }
        candidates.sort((a, b) => a.uid - b.uid);
        const batch = candidates.slice(0, deps.maxPerPoll ?? 500);

        let completed = batch.length === candidates.length;
        for (const candidate of batch) {
          if (this.generation !== generation) {
            completed = false;
            break;
          }
          await this.handle(client, candidate, result);
          lastUid = Math.max(lastUid, candidate.uid);
          if (!rescan) await this.save(validity, lastUid);
        }
        // After a UIDVALIDITY change, the new validity is recorded once the scan is through.
        if (rescan && completed) await this.save(validity, Math.max(lastUid, highest));
        // A folder seen for the first time, empty: record its validity so a change is noticed.
        if (!state && lastUid === 0) await this.save(validity, 0);
      } finally {
        lock.release();
      }
      await client.logout();
    } catch (error) {
      client.close();
      throw error;
    } finally {
      if (this.client === client) this.client = null;
    }
    return result;
  }

  /** UIDs and sizes of a range (sizes let oversize mail be skipped without downloading it). */
  private async list(client: ImapFlow, range: string | number[]): Promise<Candidate[]> {
    const messages: FetchMessageObject[] = await client.fetchAll(range, { uid: true, size: true }, { uid: true });
    return messages.map((m) => ({ uid: m.uid, size: m.size }));
  }

  private async handle(client: ImapFlow, candidate: Candidate, result: PollResult): Promise<void> {
    const { deps, target } = this;
    if (candidate.size !== undefined && candidate.size > deps.maxMessageBytes) {
      deps.log.warn({ account: target.account, uid: candidate.uid, size: candidate.size }, `IMAP mail over the ${deps.maxMessageBytes} byte limit; flagged, not taken in`);
      result.skipped++;
    } else {
      const message = await client.fetchOne(String(candidate.uid), { uid: true, source: true }, { uid: true });
      if (!message) {
        // Expunged between listing and fetching: nothing to take in.
        result.skipped++;
        return;
      }
      result.fetched++;
      // Throws on database trouble: the poll ends here, unadvanced, and retries next time.
      const outcome = await receiveMail(deps, message.source ?? Buffer.alloc(0), [deps.mailbox]);
      if (outcome.kind === 'stored' && outcome.result.created) result.stored++;
      else {
        result.skipped++;
        if (outcome.kind === 'rejected') deps.log.warn({ account: target.account, uid: candidate.uid, reason: outcome.reason }, 'IMAP mail rejected; flagged, not taken in');
      }
    }
    await client.messageFlagsAdd(String(candidate.uid), ['\\Seen'], { uid: true });
    if (target.moveTo) await client.messageMove(String(candidate.uid), target.moveTo, { uid: true });
  }

  private async save(validity: number, lastUid: number): Promise<void> {
    await this.deps.store.db
      .insertInto('imap_state')
      .values({ account: this.target.account, uid_validity: validity, last_uid: lastUid })
      .onConflict((oc) => oc.column('account').doUpdateSet({ uid_validity: validity, last_uid: lastUid, updated_at: new Date() }))
      .execute();
  }
}
