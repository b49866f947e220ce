/** Longest subject made from a message line (a helpdesk list row shows about this much). */
const MAX_DERIVED = 80;

/**
 * The subject a conversation carries everywhere: its own (an email's), or, for one without (every
 * chat), the first non-empty line the customer wrote, cut to 80 characters; else "Chat
 * conversation" / "Email conversation". The helpdesk adapters name the conversation they create
 * with it and the sidebar card shows it, so an agent sees the same words in both places (issue 22
 * item 8: the card said "(no subject)" where the helpdesk showed the first line).
 */
export function conversationSubject(subject: string | null | undefined, channel: 'chat' | 'email' | 'helpdesk', customerTexts: readonly string[]): string {
  const given = subject?.trim();
  if (given) return given;
  for (const text of customerTexts) {
    const line = text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0);
    if (line) return line.length > MAX_DERIVED ? `${line.slice(0, MAX_DERIVED - 1)}…` : line;
  }
  return channel === 'email' ? 'Email conversation' : 'Chat conversation';
}
