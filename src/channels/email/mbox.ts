/**
 * True when the file opens with a "From " separator line (RFC 4155: "From ", the envelope sender,
 * a timestamp), so it is an mbox of one or more messages; anything else is one RFC 5322 message,
 * whatever its name. (`.box` exports from Zammad and many tools are single messages; a header
 * line never starts "From " because a field name ends at its colon.)
 */
export function isMbox(raw: Buffer): boolean {
  const firstLine = raw.subarray(0, 1000).toString('latin1').split('\n', 1)[0]!;
  return /^From \S+[ \t]+\S/.test(firstLine);
}

/**
 * Splits an mbox-style file (RFC 4155) into its messages: each starts at a "From " separator
 * line, which is not part of the message. Body lines escaped as ">From " (mboxrd) lose one ">".
 * Works on Latin-1 strings so every byte survives the round trip.
 */
export function splitMbox(raw: Buffer): Buffer[] {
  const lines = raw.toString('latin1').split(/(?<=\n)/);
  const messages: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('From ')) {
      messages.push([]);
      continue;
    }
    const current = messages.at(-1);
    if (current) current.push(line.replace(/^>(>*From )/, '$1'));
  }
  return messages.map((message) => Buffer.from(message.join(''), 'latin1'));
}
