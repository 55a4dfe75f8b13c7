// The attachments of the message being written: added by paste, drop or the file picker, each
// checked against the server's limits before anything is sent.
import { useRef, useState } from 'preact/hooks';
import type { Attachment } from '../api/message-parts.ts';
import type { ServerConfig } from '../api/config-api.ts';
import { readAttachment } from './attachments.ts';

export interface AttachmentDraft {
  items: Attachment[];
  /** why the last file(s) could not be attached, in plain words */
  refused: string[];
  add(files: Iterable<File>): Promise<void>;
  remove(index: number): void;
  clear(): void;
}

export function useAttachmentDraft(config: ServerConfig): AttachmentDraft {
  const [items, setItemsState] = useState<Attachment[]>([]);
  const [refused, setRefused] = useState<string[]>([]);
  const current = useRef<Attachment[]>([]);
  const setItems = (next: Attachment[]) => { current.current = next; setItemsState(next); };
  return {
    items, refused,
    async add(files) {
      const problems: string[] = [];
      for (const file of files) {
        const used = current.current.reduce((n, a) => n + (a.bytes ?? 0), 0);
        const outcome = await readAttachment(file, config, used);
        if ('refused' in outcome) problems.push(outcome.refused);
        else setItems([...current.current, outcome.attachment]);
      }
      setRefused(problems);
    },
    remove(index) { setItems(current.current.filter((_, i) => i !== index)); setRefused([]); },
    clear() { setItems([]); setRefused([]); },
  };
}
