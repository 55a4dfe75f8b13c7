// What a chat message is on screen, and how a user message with attachments becomes Responses
// input content (and back, when a conversation is loaded from the provider). Nothing is stored
// by Cloister: images travel inline as data URLs, text files inline as text with their names.
import type { Explained } from './explain-error.ts';

export type InputPart =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url: string; detail?: 'auto' | 'low' | 'high' };

export interface Attachment {
  kind: 'image' | 'text';
  name: string;
  /** images: the data URL sent upstream (and shown as a thumbnail) */
  dataUrl?: string;
  /** text files: their content */
  text?: string;
  bytes?: number;
}

export interface ChatMessage {
  /** local key; the upstream item id when loaded from the conversation */
  key: string;
  role: 'user' | 'assistant';
  text: string;
  attachments?: Attachment[];
  /** for assistant replies produced in this tab: what is needed to verify the signature */
  exchange?: { responseId: string | null; requestBytes: Uint8Array; responseBytes: Uint8Array; completed: boolean };
  status?: 'streaming' | 'stopped' | 'error' | 'done';
  error?: Explained;
  /** a user message the provider never received (the request failed before a reply began) */
  unsent?: boolean;
}

const OPEN = /^<attachment name="([^"\n]*)">\n/;
const CLOSE = '\n</attachment>';

/** The Responses content of a user message: attachments first, then what was typed. */
export function partsFor(text: string, attachments: readonly Attachment[] = []): InputPart[] {
  const parts: InputPart[] = [];
  for (const a of attachments) {
    if (a.kind === 'image' && a.dataUrl) parts.push({ type: 'input_image', image_url: a.dataUrl, detail: 'auto' });
    else if (a.kind === 'text') parts.push({ type: 'input_text', text: `<attachment name="${a.name.replace(/["\n]/g, '_')}">\n${a.text ?? ''}${CLOSE}` });
  }
  if (text) parts.push({ type: 'input_text', text });
  return parts;
}

/** The screen's view of stored content: typed text, and the attachments recognised in it. */
export function messageFromParts(role: 'user' | 'assistant', parts: readonly InputPart[]): Pick<ChatMessage, 'role' | 'text' | 'attachments'> {
  const texts: string[] = [];
  const attachments: Attachment[] = [];
  let images = 0;
  for (const p of parts) {
    if (p.type === 'input_image') {
      attachments.push({ kind: 'image', name: `image ${++images}`, dataUrl: p.image_url });
      continue;
    }
    const open = role === 'user' ? OPEN.exec(p.text) : null;
    if (open && p.text.endsWith(CLOSE)) attachments.push({ kind: 'text', name: open[1]!, text: p.text.slice(open[0].length, -CLOSE.length) });
    else texts.push(p.text);
  }
  return { role, text: texts.join('\n\n'), ...(attachments.length ? { attachments } : {}) };
}

/** Responses/conversation item content → input parts (unknown part types are dropped). */
export function partsFromContent(content: ReadonlyArray<{ type: string; text?: string; image_url?: string }> | undefined): InputPart[] {
  return (content ?? []).flatMap((c): InputPart[] => {
    if (c.type === 'input_image' && c.image_url) return [{ type: 'input_image', image_url: c.image_url }];
    return typeof c.text === 'string' ? [{ type: 'input_text', text: c.text }] : [];
  });
}
