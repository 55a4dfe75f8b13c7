// Attachments as small chips: a thumbnail for images (their data URL: the CSP allows data:
// images), the name and size for text files; removable while composing.
import type { Attachment } from '../api/message-parts.ts';
import { formatBytes } from '../chat/attachments.ts';

export function AttachmentChips({ items, onRemove, large }: { items: readonly Attachment[]; onRemove?(index: number): void; large?: boolean }) {
  if (items.length === 0) return null;
  return (
    <ul class={large ? 'chips large' : 'chips'} aria-label="Attachments">
      {items.map((a, i) => (
        <li key={`${a.name}-${i}`} class={`chip ${a.kind}`} data-attachment-kind={a.kind}>
          {a.kind === 'image' && a.dataUrl && <img src={a.dataUrl} alt={large ? a.name : ''} />}
          <span class="chip-name" title={a.name}>{a.name}</span>
          {a.bytes !== undefined && <span class="muted small">{formatBytes(a.bytes)}</span>}
          {onRemove && <button type="button" class="small link" aria-label={`Remove ${a.name}`} onClick={() => onRemove(i)}>×</button>}
        </li>
      ))}
    </ul>
  );
}
