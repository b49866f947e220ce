import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMail } from '../../src/channels/email/parse.js';
import { defaultPayloadFields, fakeSendGrid, officialFields, policyKeyPair, rawPayloadFields } from '../fakes/sendgrid/index.js';
import { RelayLedger } from '../channels/email/relay-conformance.js';
import { startRelayHub, storedMail, type RelayHub } from '../channels/email/relay-helpers.js';

/**
 * SendGrid Inbound Parse conformance against the docs' "Example Default Payload" and "Example
 * Raw Payload" (official/email-relays/sendgrid/: the PHP var_dumps and the .fields.json made from
 * them). Each goes through the fake, signed with a security policy key this test generates, into
 * the running hub, and the stored message is checked; the fake's model of SendGrid
 * (defaultPayloadFields, rawPayloadFields) is checked to post the same field names and values for
 * the mail each example describes.
 * Counting rule: artefacts = official files read; validated = checks made; mismatches = checks failed.
 */
const FILES_REASON = 'a var_dump of $_POST cannot show files: PHP puts attachment1…N in $_FILES, named by attachment-info';
const ALLOWED_NAMES = { attachment1: FILES_REASON, attachment2: FILES_REASON };
/** Fields whose values the fake does not reproduce, and why. */
const NOT_MODELLED: Record<string, string> = {
  sender_ip: 'the connecting server’s address, not part of the mail',
  spam_report: 'SpamAssassin output, not modelled',
  spam_score: 'SpamAssassin output, not modelled',
};
const REDACTED_FROM = 'the docs redacted the address and lost its angle brackets: string(33) in the var_dump is the length of "Sender Name <example@example.com>"';

const lf = (text: string) => text.replace(/\r\n/g, '\n');
const crlf = (text: string) => lf(text).replace(/\n/g, '\r\n');

/** The mail the default example describes: its header section, both bodies, its two attachments. */
function equivalentMail(example: Record<string, string>): Buffer {
  const boundary = /boundary=([^\s;]+)/.exec(example['headers']!)![1]!;
  const info = JSON.parse(example['attachment-info']!) as Record<string, { filename: string; name: string; type: string; 'content-id'?: string }>;
  const file = (key: string) => {
    const a = info[key]!;
    return [
      `--${boundary}`,
      `Content-Type: ${a.type}; name="${a.name}"`,
      `Content-Disposition: attachment; filename="${a.filename}"`,
      ...(a['content-id'] ? [`Content-ID: <${a['content-id']}>`] : []),
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(`${key} bytes`).toString('base64'),
    ];
  };
  return Buffer.from(
    [
      crlf(example['headers']!).replace(/\r\n$/, ''),
      '',
      `--${boundary}`,
      'Content-Type: multipart/alternative; boundary=alt',
      '',
      '--alt',
      'Content-Type: text/plain; charset=UTF-8',
      '',
      crlf(example['text']!),
      '--alt',
      'Content-Type: text/html; charset=UTF-8',
      '',
      crlf(example['html']!),
      '--alt--',
      ...file('attachment1'),
      ...file('attachment2'),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

describe('conformance: SendGrid Inbound Parse', () => {
  const ledger = new RelayLedger('sendgrid');
  const policy = policyKeyPair();
  let relay: RelayHub;
  beforeAll(async () => {
    relay = await startRelayHub({ SENDGRID_PARSE_PUBLIC_KEY: policy.publicKey });
  });
  afterAll(async () => {
    await relay?.t.stop();
  });

  /** The top-level names of a var_dump (two-space indent, `["name"]=>`). */
  const dumpedNames = (path: string) => [...ledger.read(path).matchAll(/^ {2}\["([^"]+)"\]=>/gm)].map((m) => m[1]!);

  it('the default example ("Send Raw" off): the hub rebuilds and stores the message; the fake posts its fields and models them', async () => {
    const example = ledger.json<Record<string, string>>('sendgrid/sendgrid-inbound-parse-default.fields.json');
    ledger.names('default: var_dump names = .fields.json names', dumpedNames('sendgrid/sendgrid-inbound-parse-default.vardump.txt'), Object.keys(example));
    const files = { attachment1: Buffer.from('attachment1 bytes'), attachment2: Buffer.from('attachment2 bytes') };
    const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
    const result = await sendgrid.post(`${relay.base}/inbound/email/sendgrid`, officialFields(example, files));
    ledger.check('default: delivery', [result.outcome, result.status, (result.json as { status?: string }).status], ['accepted', 200, 'stored']);
    ledger.names('default: field names posted', sendgrid.requests[0]!.fieldNames, Object.keys(example), ALLOWED_NAMES);

    const mail = await storedMail(relay.t, '<CAN_P_JMvV7ZpAQhOnDienypLrJmuhN=LQWweu4yScw4jQyXY2w@mail.gmail.com>');
    ledger.check('default: from', [mail.contactEmail, mail.contactName], ['example@example.com', 'Sender Name']);
    ledger.check('default: subject', mail.subject, example['subject']);
    ledger.check('default: text', mail.text, example['text']!.trim());
    ledger.check('default: reply-to', mail.kept?.replyTo, []);
    ledger.check('default: threading', [mail.metadata['inReplyTo'], mail.metadata['references']], [null, []]);
    ledger.check(
      'default: attachments',
      mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString()]),
      [
        ['MG_2359.jpg', 'image/jpeg', 'attachment1 bytes'],
        ['DockMcWordface.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'attachment2 bytes'],
      ],
    );

    const modelled = await defaultPayloadFields({ raw: equivalentMail(example), recipient: 'example@example.comom', sender: 'example@example.com' });
    ledger.names('default model: field names', modelled.map((f) => f.name), Object.keys(example), ALLOWED_NAMES);
    for (const field of modelled) {
      if (field.name in NOT_MODELLED || field.name in ALLOWED_NAMES) continue;
      const value = Buffer.isBuffer(field.value) ? field.value.toString('utf8') : String(field.value);
      if (field.name === 'from') ledger.check(`default model: from (${REDACTED_FROM})`, value.replace(/[<>]/g, ''), example['from']);
      else if (['attachment-info', 'content-ids', 'charsets', 'envelope'].includes(field.name)) ledger.check(`default model: ${field.name}`, JSON.parse(value), JSON.parse(example[field.name]!));
      // The var_dump shows LF line ends; the mail's lines end in CRLF.
      else ledger.check(`default model: ${field.name}`, lf(value), example[field.name]);
    }
  });

  it('the raw example ("Send Raw" on): the hub stores the message byte for byte; the fake posts its fields and models them', async () => {
    const example = ledger.json<Record<string, string>>('sendgrid/sendgrid-inbound-parse-raw.fields.json');
    ledger.names('raw: var_dump names = .fields.json names', dumpedNames('sendgrid/sendgrid-inbound-parse-raw.vardump.txt'), Object.keys(example));
    const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
    const result = await sendgrid.post(`${relay.base}/inbound/email/sendgrid`, officialFields(example));
    ledger.check('raw: delivery', [result.outcome, result.status, (result.json as { status?: string }).status], ['accepted', 200, 'stored']);
    ledger.names('raw: field names posted', sendgrid.requests[0]!.fieldNames, Object.keys(example));

    const original = await parseMail(Buffer.from(example['email']!));
    const mail = await storedMail(relay.t, '<CAN_P_JNa25--hzm5=-ES9cnxgWa+h+E49OOAS7sPpV0gsoXCOw@mail.gmail.com>');
    ledger.check('raw: from', [mail.contactEmail, mail.contactName], ['example@example.com', 'Sender Name']);
    ledger.check('raw: subject', mail.subject, example['subject']);
    ledger.check('raw: text', mail.text, 'This is a test email with 1 attachment.');
    ledger.check('raw: reply-to', mail.kept?.replyTo, []);
    ledger.check('raw: threading', [mail.metadata['inReplyTo'], mail.metadata['references']], [null, []]);
    ledger.check(
      'raw: attachments',
      mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString('base64')]),
      original.attachments.map((a) => [a.filename, a.contentType, a.content?.toString('base64')]),
    );
    ledger.check('raw: the kept MIME is the posted one', mail.kept?.raw.equals(Buffer.from(example['email']!)), true);

    const modelled = await rawPayloadFields({ raw: Buffer.from(example['email']!), recipient: 'example@example.comom', sender: 'example@example.com' });
    ledger.names('raw model: field names', modelled.map((f) => f.name), Object.keys(example));
    for (const field of modelled) {
      if (field.name in NOT_MODELLED) continue;
      const value = Buffer.isBuffer(field.value) ? field.value.toString('utf8') : String(field.value);
      if (['charsets', 'envelope'].includes(field.name)) ledger.check(`raw model: ${field.name}`, JSON.parse(value), JSON.parse(example[field.name]!));
      else ledger.check(`raw model: ${field.name}`, value, example[field.name]);
    }
  });

  it('summary', () => {
    process.stdout.write(`${ledger.line()}\n`);
    expect(ledger.mismatches).toEqual([]);
  });
});
