// A conversation as a file the person keeps: Markdown to read, JSON to process. Made in the
// browser from what is on screen; nothing is sent anywhere.
import type { ChatMessage } from '../api/message-parts.ts';

export interface ExportSource { id: string; title: string; createdAt: number | null; messages: readonly ChatMessage[] }

export function conversationMarkdown(c: ExportSource): string {
  const out = [`# ${c.title}`, ''];
  if (c.createdAt) out.push(`_Started ${new Date(c.createdAt * 1000).toISOString()}_`, '');
  for (const m of c.messages) {
    out.push(m.role === 'user' ? '## You' : '## Assistant', '');
    for (const a of m.attachments ?? []) {
      if (a.kind === 'image') out.push(`_[image: ${a.name}]_`, '');
      else out.push(`_Attached file: ${a.name}_`, '', '````', a.text ?? '', '````', '');
    }
    if (m.text) out.push(m.text, '');
  }
  return out.join('\n');
}

export function conversationJson(c: ExportSource): string {
  return JSON.stringify({
    object: 'cloister.conversation_export',
    id: c.id,
    title: c.title,
    created_at: c.createdAt,
    messages: c.messages.map((m) => ({
      role: m.role,
      text: m.text,
      ...(m.attachments?.length ? { attachments: m.attachments.map((a) => (a.kind === 'image' ? { kind: a.kind, name: a.name, data_url: a.dataUrl } : { kind: a.kind, name: a.name, text: a.text })) } : {}),
    })),
  }, null, 2);
}

/** A file name from the title: letters, digits and dashes. */
export function exportFileName(title: string, ext: 'md' | 'json'): string {
  const base = title.normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60).toLowerCase();
  return `${base || 'conversation'}.${ext}`;
}

/** Starts a download of `text` as a file (an object URL, revoked once the click has been handled). */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
