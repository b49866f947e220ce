import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseMail, type ParsedMail } from '../../../src/channels/email/parse.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** FreeScout's raw messages, read in place from ../shared beside the repository. */
export const FREESCOUT = fileURLToPath(new URL('../../../../shared/data/mail/freescout/', import.meta.url));

export function fixture(name: string): Promise<ParsedMail> {
  return parseMail(readFileSync(FIXTURES + name));
}
