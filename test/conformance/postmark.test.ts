import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMail } from '../../src/channels/email/parse.js';
import { fakePostmark, inboundPayload, type PostmarkInbound } from '../fakes/postmark/index.js';
import { RelayLedger } from '../channels/email/relay-conformance.js';
import { startRelayHub, storedMail, type RelayHub } from '../channels/email/relay-helpers.js';

/**
 * Postmark inbound conformance against the dashboard "Check" payloads (official/email-relays/
 * postmark/, captured by Anymail; caution: they differ from real posts — attachments carry `Data`,
 * and the with-raw variant's RawEmail is a stub without the Cc, Reply-To or attachment the fields
 * name). Each payload goes through the fake (basic auth in the URL) into the running hub and the
 * stored message is checked; the fake's own model of Postmark (`inboundPayload`) is checked to
 * produce the same field names and values from the same mail.
 * Counting rule: artefacts = official files read; validated = checks made; mismatches = checks failed.
 */
const FILES = ['postmark/postmark-inbound-check-payload.json', 'postmark/postmark-inbound-check-payload-with-raw.json'];

/** Fields whose values the fake cannot reproduce, and why. */
const NOT_MODELLED: Record<string, string> = {
  MessageID: "Postmark's own id for the inbound message, not derived from the mail",
  StrippedTextReply: "Postmark's reply detection is not modelled (the hub strips quoted history itself)",
  HtmlBody: 'mailparser re-serialises the HTML of the equivalent mail',
  Headers: 'the Check payload lists one sample header; a real post lists the mail’s headers (compared by name below)',
  Attachments: 'compared by name, type and length below',
  RawEmail: 'the Check payload’s RawEmail is a stub, not the mail its fields describe',
};
const ATTACHMENT_KEYS: Record<string, string> = {
  Data: 'the Check payload says Data; real inbound posts carry Content (Postmark docs, official Node client type)',
  Content: 'as above',
  ContentID: 'real posts carry ContentID (Postmark docs example); the Check payload omits it',
};

/** The mail the Check payload describes, as MIME (what Postmark would have received). */
function equivalentMail(p: PostmarkInbound): Buffer {
  const a = p.Attachments[0]!;
  return Buffer.from(
    [
      `From: "${p.FromFull.Name}" <${p.FromFull.Email}>`,
      `To: ${p.To}`,
      `Cc: ${p.Cc}`,
      `Bcc: ${p.Bcc}`,
      `Reply-To: ${p.ReplyTo}`,
      `Subject: ${p.Subject}`,
      `Date: ${p.Date}`,
      ...p.Headers.map((h) => `${h.Name}: ${h.Value}`),
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="m"',
      '',
      '--m',
      'Content-Type: multipart/alternative; boundary="a"',
      '',
      '--a',
      'Content-Type: text/plain; charset=utf-8',
      '',
      p.TextBody,
      '--a',
      'Content-Type: text/html; charset=utf-8',
      '',
      p.HtmlBody,
      '--a--',
      '--m',
      `Content-Type: ${a.ContentType}; name="${a.Name}"`,
      `Content-Disposition: attachment; filename="${a.Name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      a.Data ?? a.Content ?? '',
      '--m--',
      '',
    ].join('\r\n'),
  );
}

describe('conformance: Postmark inbound webhook', () => {
  const ledger = new RelayLedger('postmark');
  let relay: RelayHub;
  beforeAll(async () => {
    relay = await startRelayHub();
  });
  afterAll(async () => {
    await relay?.t.stop();
  });

  for (const file of FILES) {
    it(`${file}: the hub stores what the payload says; the fake posts its fields as they are and models them`, async () => {
      const official = ledger.json<PostmarkInbound & Record<string, unknown>>(file);
      const postmark = fakePostmark();
      const result = await postmark.post(`${relay.baseWithAuth}/inbound/email/postmark`, official);
      ledger.check(`${file} delivery`, [result.outcome, result.status], ['accepted', 200]);
      ledger.names(`${file} field names posted`, postmark.requests[0]!.keys, Object.keys(official));

      // The hub prefers RawEmail (the original mail) when it is there: expectations come from it then.
      const expected = official.RawEmail ? await parseMail(Buffer.from(official.RawEmail)) : null;
      const conversationId = (result.json as { conversation_id: string }).conversation_id;
      const row = await relay.t.hub.store.db.selectFrom('messages').select('source_message_id').where('conversation_id', '=', conversationId).executeTakeFirstOrThrow();
      const mail = await storedMail(relay.t, row.source_message_id);
      ledger.check(`${file} from`, [mail.contactEmail, mail.contactName], [official.FromFull.Email.toLowerCase(), official.FromFull.Name]);
      ledger.check(`${file} subject`, mail.subject, official.Subject);
      ledger.check(`${file} text`, mail.text, expected ? expected.text.trim() : official.TextBody);
      ledger.check(`${file} reply-to`, mail.kept?.replyTo.map((r) => r.address), expected ? expected.replyTo.map((r) => r.address) : [official.ReplyTo]);
      // Neither payload names a Message-ID: the hub derives a stable one; no thread is named.
      ledger.check(`${file} synthetic Message-ID`, /@synthetic\.invalid>$/.test(row.source_message_id), true);
      ledger.check(`${file} threading`, [mail.metadata['inReplyTo'], mail.metadata['references']], [null, []]);
      ledger.check(
        `${file} attachments`,
        mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString('base64')]),
        expected ? expected.attachments.map((a) => [a.filename, a.contentType, a.content?.toString('base64')]) : official.Attachments.map((a) => [a.Name, a.ContentType, a.Data]),
      );

      // The fake's model of Postmark, from the mail this payload describes.
      const modelled = await inboundPayload(equivalentMail(official), { recipient: official.OriginalRecipient as string, includeRawEmail: Boolean(official.RawEmail), tag: official.Tag as string });
      ledger.names(`${file} model: top-level names`, Object.keys(modelled), Object.keys(official));
      for (const key of Object.keys(official)) {
        if (key in NOT_MODELLED) continue;
        ledger.check(`${file} model: ${key}`, (modelled as unknown as Record<string, unknown>)[key], official[key]);
      }
      ledger.names(`${file} model: header names`, modelled.Headers.map((h) => h.Name), [...official.Headers.map((h) => h.Name), 'MIME-Version'], { 'MIME-Version': 'the equivalent mail has it; the Check payload lists one sample header only' });
      ledger.names(`${file} model: attachment keys`, Object.keys(modelled.Attachments[0]!), Object.keys(official.Attachments[0]!), ATTACHMENT_KEYS);
      ledger.check(
        `${file} model: attachment`,
        modelled.Attachments.map((a) => [a.Name, a.ContentType, a.ContentLength, a.Content]),
        official.Attachments.map((a) => [a.Name, a.ContentType, a.ContentLength, a.Data]),
      );
    });
  }

  it('summary', () => {
    process.stdout.write(`${ledger.line()}\n`);
    expect(ledger.mismatches).toEqual([]);
  });
});
