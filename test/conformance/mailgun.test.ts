import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeMailgun, forwardParsedFields, officialFields, storeNotifyFields } from '../fakes/mailgun/index.js';
import { RelayLedger } from '../channels/email/relay-conformance.js';
import { MAILGUN_KEY, startRelayHub, storedMail, storedMails, type RelayHub } from '../channels/email/relay-helpers.js';

/**
 * Mailgun route conformance against the docs' examples of what forward() and store(notify=…)
 * post (official/email-relays/mailgun/: .fields.json and the .fields.txt they were split from).
 * Each example goes through the fake into the running hub, re-signed: the docs' signature block
 * is from an unknown key, its signature is 65 hex characters (a typo) and its timestamp is from
 * 2016. Both examples describe the same message, so the second is answered as a duplicate. The
 * fake's model of Mailgun (forwardParsedFields, storeNotifyFields) is checked to post the same
 * field names and values for the mail the examples describe.
 * Counting rule: artefacts = official files read; validated = checks made; mismatches = checks failed.
 */
const EXAMPLES = [
  { json: 'mailgun/mailgun-route-forward-parsed.fields.json', txt: 'mailgun/mailgun-route-forward-parsed.fields.txt', model: 'forward' as const },
  { json: 'mailgun/mailgun-route-store-notify.fields.json', txt: 'mailgun/mailgun-route-store-notify.fields.txt', model: 'store' as const },
];
const SIGNATURE = ['timestamp', 'token', 'signature'];
/** Added by Mailgun when it receives a mail (so not part of the mail itself). */
const ADDED_ON_RECEIPT = new Set(['X-Mailgun-Incoming', 'X-Envelope-From']);

/** The mail the example describes: its headers (as listed in message-headers) and its two bodies. */
function equivalentMail(example: Record<string, string>): Buffer {
  const headers = (JSON.parse(example['message-headers']!) as Array<[string, string]>).filter(([name]) => !ADDED_ON_RECEIPT.has(name));
  const boundary = /boundary="([^"]+)"/.exec(example['Content-Type']!)![1]!;
  return Buffer.from(
    [
      ...headers.map(([name, value]) => `${name}: ${value}`),
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=UTF-8',
      '',
      example['body-plain'],
      `--${boundary}`,
      'Content-Type: text/html; charset=UTF-8',
      '',
      example['body-html'],
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

describe('conformance: Mailgun routes', () => {
  const ledger = new RelayLedger('mailgun');
  const mailgun = fakeMailgun({ signingKey: MAILGUN_KEY });
  let relay: RelayHub;
  beforeAll(async () => {
    relay = await startRelayHub();
  });
  afterAll(async () => {
    await relay?.t.stop();
  });

  for (const [index, example] of EXAMPLES.entries()) {
    it(`${example.json}: the hub stores the message it describes; the fake posts its fields and models them`, async () => {
      const fields = ledger.json<Record<string, string>>(example.json);
      const listed = ledger
        .read(example.txt)
        .split('\n')
        .filter((line) => /^[\w-]+:/.test(line))
        .map((line) => line.slice(0, line.indexOf(':')));
      ledger.names(`${example.txt} names = ${example.json} names`, listed, Object.keys(fields));

      const result = await mailgun.forward(`${relay.base}/inbound/email/mailgun`, officialFields(fields));
      ledger.check(`${example.json} delivery`, [result.outcome, result.status, (result.json as { status?: string }).status], ['accepted', 200, index === 0 ? 'stored' : 'duplicate']);
      ledger.names(`${example.json} field names posted`, mailgun.requests.at(-1)!.fieldNames, Object.keys(fields));
      ledger.check(`${example.json} encoding (no attachments: urlencoded)`, mailgun.requests.at(-1)!.contentType, 'application/x-www-form-urlencoded');

      const messageId = fields['Message-Id']!;
      ledger.check(`${example.json} stored once`, (await storedMails(relay.t, messageId)).length, 1);
      const mail = await storedMail(relay.t, messageId);
      ledger.check(`${example.json} from`, [mail.contactEmail, mail.contactName], ['user@samples.mailgun.com', 'Excited User']);
      ledger.check(`${example.json} subject`, mail.subject, fields['subject']);
      ledger.check(`${example.json} text`, mail.text, fields['body-plain']);
      ledger.check(`${example.json} reply-to`, mail.kept?.replyTo, []);
      ledger.check(`${example.json} threading`, [mail.metadata['messageId'], mail.metadata['inReplyTo'], mail.metadata['references']], [messageId, null, []]);
      ledger.check(`${example.json} attachments`, mail.attachments, []);

      // The fake's model of Mailgun, from the mail the example describes.
      const received = { raw: equivalentMail(fields), recipient: fields['recipient']!, sender: fields['sender']! };
      const modelled = example.model === 'forward' ? await forwardParsedFields(received) : await storeNotifyFields(received, fields['domain']!);
      ledger.names(`${example.json} model: field names`, [...modelled.map((f) => f.name), ...SIGNATURE], Object.keys(fields));
      for (const field of modelled) {
        if (field.name === 'message-url') continue; // a storage key Mailgun makes up
        ledger.check(`${example.json} model: ${field.name}`, Buffer.isBuffer(field.value) ? field.value.toString('utf8') : field.value, fields[field.name]);
      }
    });
  }

  it('summary', () => {
    process.stdout.write(`${ledger.line()}\n`);
    expect(ledger.mismatches).toEqual([]);
  });
});
