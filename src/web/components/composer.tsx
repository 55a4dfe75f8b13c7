// The message box: Enter sends, Shift+Enter adds a line; while a reply streams, Stop (or Escape)
// aborts it. Files come in by paste, drop (handled by the chat page too) or the Attach button;
// the limits are shown before anything is sent.
import { useRef, useState } from 'preact/hooks';
import type { Attachment } from '../api/message-parts.ts';
import type { ServerConfig } from '../api/config-api.ts';
import type { AttachmentDraft } from '../chat/use-attachment-draft.ts';
import { formatBytes } from '../chat/attachments.ts';
import { AttachmentChips } from './attachment-chips.tsx';

export interface ComposerProps {
  streaming: boolean;
  disabled: boolean;
  config: ServerConfig;
  draft: AttachmentDraft;
  onSend(text: string, attachments: Attachment[]): void;
  onStop(): void;
}

export function Composer({ streaming, disabled, config, draft, onSend, onStop }: ComposerProps) {
  const [text, setText] = useState('');
  const picker = useRef<HTMLInputElement>(null);
  const ready = !!text.trim() || draft.items.length > 0;
  const send = () => {
    if (!ready || streaming || disabled) return;
    onSend(text.trim(), draft.items);
    setText('');
    draft.clear();
  };
  const limits = config.attachments;
  const attachable = limits.max_bytes > 0;
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <AttachmentChips items={draft.items} onRemove={draft.remove} />
      {draft.refused.map((r) => <p key={r} role="alert" class="error small">{r}</p>)}
      <div class="composer-row">
        {attachable && <input ref={picker} id="attach-input" type="file" multiple class="visually-hidden" tabIndex={-1}
          accept={[...limits.image_types, '.txt,.md,.csv,.json,.tsv,.xml,.yaml,.yml,.log,.js,.ts,.tsx,.jsx,.py,.go,.rs,.java,.c,.h,.cpp,.cs,.rb,.php,.sh,.sql,.html,.css,text/*'].join(',')}
          onChange={(e) => { const files = [...(e.currentTarget.files ?? [])]; e.currentTarget.value = ''; void draft.add(files); }} />}
        {attachable && <button type="button" class="attach" aria-label="Attach files" title={`Attach images (PNG, JPEG, WebP, GIF) or text files. Up to ${formatBytes(limits.max_bytes)} per message; text files up to ${formatBytes(limits.text_max_bytes)}.`}
          onClick={() => picker.current?.click()}>+</button>}
        <label for="prompt" class="visually-hidden">Message</label>
        <textarea
          id="prompt" rows={2} placeholder="Message…" value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.length === 0) return;
            e.preventDefault();
            void draft.add(files);
          }}
          onKeyDown={(e) => { if (e.key === 'Escape' && streaming) { e.preventDefault(); onStop(); return; } if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); } }}
        />
        {streaming
          ? <button type="button" class="danger" onClick={onStop}>Stop</button>
          : <button type="submit" class="primary" disabled={disabled || !ready}>Send</button>}
      </div>
      {attachable && (
        <p class="muted small composer-hint" data-testid="attachment-limits">
          Attach images or text files (up to {formatBytes(limits.max_bytes)} per message, text files up to {formatBytes(Math.min(limits.text_max_bytes, limits.max_bytes))}). Cloister does not keep them; they go to the model provider with your message.
        </p>
      )}
    </form>
  );
}
