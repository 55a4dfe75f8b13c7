// The message box: Enter sends, Shift+Enter adds a line; while a reply streams, Stop (or Escape) aborts it.
import { useRef, useState } from 'preact/hooks';

export function Composer({ streaming, disabled, onSend, onStop }: { streaming: boolean; disabled: boolean; onSend(text: string): void; onStop(): void }) {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const send = () => {
    const t = text.trim();
    if (!t || streaming || disabled) return;
    onSend(t);
    setText('');
  };
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <label for="prompt" class="visually-hidden">Message</label>
      <textarea
        id="prompt" ref={ref} rows={2} placeholder="Message…" value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => { if (e.key === 'Escape' && streaming) { e.preventDefault(); onStop(); return; } if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); } }}
      />
      {streaming
        ? <button type="button" class="danger" onClick={onStop}>Stop</button>
        : <button type="submit" class="primary" disabled={disabled || !text.trim()}>Send</button>}
    </form>
  );
}
