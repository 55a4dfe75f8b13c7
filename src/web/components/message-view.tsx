// One chat message: markdown for replies, plain text (and attachments) for the user's own words.
// Replies can be copied, regenerated (the last one) and verified; sent messages can be edited
// and sent again from there.
import { useState } from 'preact/hooks';
import type { ChatMessage } from '../api/message-parts.ts';
import { Markdown } from './markdown.tsx';
import { AttachmentChips } from './attachment-chips.tsx';
import { ErrorNotice } from './error-notice.tsx';
import { MessageVerify } from '../verify/message-verify.tsx';

export interface MessageActions {
  onRegenerate?: () => void;
  onEdit?: (text: string) => void;
}

export function MessageView({ m, onRegenerate, onEdit }: { m: ChatMessage } & MessageActions) {
  const [copied, setCopied] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const [draft, setDraft] = useState<string | null>(null);
  const copy = async () => {
    await navigator.clipboard.writeText(m.text);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  const saveEdit = (e: Event) => {
    e.preventDefault();
    const text = draft?.trim() ?? '';
    if (!text && !m.attachments?.length) return;
    setDraft(null);
    onEdit?.(text);
  };
  return (
    <article class={`msg ${m.role}`} aria-label={m.role === 'user' ? 'You said' : 'Reply'} data-status={m.status}>
      {m.role === 'user' && m.attachments && <AttachmentChips items={m.attachments} large />}
      {draft !== null ? (
        <form class="edit-form" onSubmit={saveEdit}>
          <label for={`edit-${m.key}`} class="visually-hidden">Edit message</label>
          <textarea id={`edit-${m.key}`} value={draft} rows={Math.min(10, draft.split('\n').length + 1)} onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Escape') setDraft(null); }} />
          <div class="msg-actions">
            <button type="submit" class="small primary">Send edited message</button>
            <button type="button" class="small" onClick={() => setDraft(null)}>Cancel</button>
          </div>
          <p class="muted small">Sending replaces this message and everything after it.</p>
        </form>
      ) : (m.text || m.status === 'streaming' || m.role === 'user') && (
        <div class="msg-body">
          {m.role === 'assistant' ? <Markdown source={m.text} complete={m.status !== 'streaming'} /> : m.text && <p class="plain">{m.text}</p>}
          {m.status === 'streaming' && <span class="typing" aria-label="Reply in progress">●</span>}
        </div>
      )}
      {m.status === 'stopped' && <p class="note small">Stopped.</p>}
      {m.error && <ErrorNotice error={m.error} />}
      {m.role === 'user' && onEdit && draft === null && (
        <div class="msg-actions user-actions">
          <button type="button" class="small link" onClick={() => setDraft(m.text)}>Edit</button>
        </div>
      )}
      {m.role === 'assistant' && m.status !== 'streaming' && (
        <div class="msg-actions">
          {m.text && <button type="button" class="small" onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>}
          {onRegenerate && <button type="button" class="small" onClick={onRegenerate}>{m.status === 'error' ? 'Retry' : 'Regenerate'}</button>}
          {m.exchange?.responseId && m.exchange.completed && (
            <button type="button" class="small" aria-expanded={verifying} onClick={() => setVerifying(!verifying)}>Verify</button>
          )}
        </div>
      )}
      {verifying && m.exchange && <MessageVerify exchange={m.exchange} />}
    </article>
  );
}
