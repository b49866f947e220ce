/**
 * Splits an mbox-style file (RFC 4155) into its messages: each starts at a "From " separator
 * line, which is not part of the message. Body lines escaped as ">From " (mboxrd) lose one ">".
 * Works on Latin-1 strings so every byte survives the round trip.
 */
export function isMbox(raw: Buffer): boolean {
  return raw.subarray(0, 5).toString('latin1') === 'From ';
}

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
