// Chat: conversation list, model picker, messages, and streamed replies.
//
// Replies use the Responses API attached to an upstream conversation (`conversation: id`):
// the conversation history lives with the model provider, not in Cloister (which only records
// who owns which id), so reloading the page or opening another device finds it again through
// GET /v1/conversations/{id}/items. With chat completions the browser would have to keep the
// whole history itself, and it would be lost on reload.
import { useEffect, useRef, useState } from 'preact/hooks';
import { createConversation, loadMessages, type ChatMessage } from '../api/chat-api.ts';
import { streamTurn, type TurnResult } from '../api/responses-stream.ts';
import { describeError } from '../api/http.ts';
import { navigate } from '../lib/router.ts';
import { ConversationList, rememberTitle } from '../components/conversation-list.tsx';
import { ModelPicker, useModels } from '../components/model-picker.tsx';
import { Composer } from '../components/composer.tsx';
import { MessageView } from '../components/message-view.tsx';

let localKeys = 0;

export function ChatPage({ conversationId }: { conversationId: string | null }) {
  const { models, model, setModel, error: modelsError } = useModels();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [streaming, setStreaming] = useState(false);
  const [listVersion, setListVersion] = useState(0);
  const abort = useRef<AbortController | null>(null);
  // the conversation this page just created: its messages are already on screen
  const created = useRef<string | null>(null);
  const endRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (conversationId !== null && conversationId === created.current) return;
    abort.current?.abort();
    setMessages([]);
    setLoadError(null);
    if (!conversationId) return;
    let live = true;
    loadMessages(conversationId).then((ms) => { if (live) setMessages(ms); }, (e) => { if (live) setLoadError(describeError(e)); });
    return () => { live = false; };
  }, [conversationId]);

  useEffect(() => { endRef.current?.scrollIntoView({ block: 'end' }); }, [messages]);

  const update = (key: string, patch: Partial<ChatMessage>) =>
    setMessages((ms) => ms.map((m) => (m.key === key ? { ...m, ...patch } : m)));

  const send = async (text: string) => {
    if (!model) return;
    const ac = new AbortController();
    abort.current = ac;
    setStreaming(true);
    const userKey = `local-${++localKeys}`;
    const replyKey = `local-${++localKeys}`;
    setMessages((ms) => [...ms, { key: userKey, role: 'user', text }, { key: replyKey, role: 'assistant', text: '', status: 'streaming' }]);
    try {
      let id = conversationId;
      if (!id) {
        const c = await createConversation(text);
        id = c.id;
        created.current = id;
        rememberTitle(id, text.slice(0, 60));
        navigate(`/c/${id}`);
        setListVersion((v) => v + 1);
      }
      const r = await streamTurn({ model, conversationId: id, input: text, signal: ac.signal, onText: (t) => update(replyKey, { text: t }) });
      update(replyKey, { text: r.text, exchange: r, status: r.completed ? 'done' : 'stopped' });
    } catch (e) {
      const partial = (e as { partial?: TurnResult }).partial;
      const stopped = e instanceof DOMException && e.name === 'AbortError';
      update(replyKey, { status: stopped ? 'stopped' : 'error', error: stopped ? undefined : describeError(e), ...(partial ? { text: partial.text, exchange: partial } : {}) });
    } finally {
      if (abort.current === ac) abort.current = null;
      setStreaming(false);
    }
  };

  const retry = (replyKey: string) => {
    const i = messages.findIndex((m) => m.key === replyKey);
    const prompt = messages[i - 1];
    if (i < 1 || prompt?.role !== 'user') return;
    setMessages((ms) => ms.filter((m) => m.key !== replyKey && m.key !== prompt.key));
    void send(prompt.text);
  };

  const lastReply = [...messages].reverse().find((m) => m.role === 'assistant');
  return (
    <div class="chat">
      <ConversationList currentId={conversationId} version={listVersion} />
      <main class="chat-main" aria-label="Chat">
        <div class="chat-toolbar">
          <ModelPicker models={models} model={model} onChange={setModel} disabled={streaming} />
        </div>
        {modelsError && <p role="alert" class="error">{modelsError}</p>}
        {loadError && <p role="alert" class="error">{loadError}</p>}
        <section class="messages" aria-live="polite" aria-busy={streaming}>
          {messages.length === 0 && !loadError && <p class="muted empty">Start a conversation. Nothing you write is stored on this server.</p>}
          {messages.map((m) => (
            <MessageView key={m.key} m={m} onRetry={m === lastReply && !streaming && messages[messages.length - 1] === m ? () => retry(m.key) : undefined} />
          ))}
          <div ref={endRef} />
        </section>
        <Composer streaming={streaming} disabled={!model} onSend={(t) => void send(t)} onStop={() => abort.current?.abort()} />
      </main>
    </div>
  );
}
