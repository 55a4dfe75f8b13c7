// One chat message: markdown for replies, plain text for the user's own words, and the actions
// (copy, retry, verify) on replies.
import { useState } from 'preact/hooks';
import type { ChatMessage } from '../api/chat-api.ts';
import { Markdown } from './markdown.tsx';
import { MessageVerify } from '../verify/message-verify.tsx';

export function MessageView({ m, onRetry }: { m: ChatMessage; onRetry?: () => void }) {
  const [copied, setCopied] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(m.text);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <article class={`msg ${m.role}`} aria-label={m.role === 'user' ? 'You said' : 'Reply'} data-status={m.status}>
      <div class="msg-body">
        {m.role === 'assistant' ? <Markdown source={m.text} complete={m.status !== 'streaming'} /> : <p class="plain">{m.text}</p>}
        {m.status === 'streaming' && <span class="typing" aria-label="Reply in progress">●</span>}
      </div>
      {m.status === 'stopped' && <p class="note small">Stopped.</p>}
      {m.error && <p role="alert" class="error small">{m.error}</p>}
      {m.role === 'assistant' && m.status !== 'streaming' && (
        <div class="msg-actions">
          <button type="button" class="small" onClick={copy} disabled={!m.text}>{copied ? 'Copied' : 'Copy'}</button>
          {onRetry && <button type="button" class="small" onClick={onRetry}>Retry</button>}
          {m.exchange?.responseId && m.exchange.completed && (
            <button type="button" class="small" aria-expanded={verifying} onClick={() => setVerifying(!verifying)}>Verify</button>
          )}
        </div>
      )}
      {verifying && m.exchange && <MessageVerify exchange={m.exchange} />}
    </article>
  );
}
