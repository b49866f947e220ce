import { HubError } from '../../errors.js';

/**
 * An attachment whose bytes retention removed keeps its row with empty content and its original
 * size (kinds/attachments.ts); one with no bytes ever has size 0.
 */
export function attachmentBytesRemoved(row: { size: number; content: Buffer }): boolean {
  return row.content.length === 0 && row.size > 0;
}

/** 410 Gone: the file existed and was deliberately removed — not a wrong id (404), not a fault (500). */
export function attachmentRemoved(id: string): HubError {
  return new HubError(410, 'attachment_removed', `attachment ${id} was removed under the data retention policy; its name, type and size are kept`);
}
