// One conversation on screen: load it, send a message (creating the conversation on the first),
// stop, edit a sent message and regenerate the last reply. Edit and regenerate first delete the
// provider's items from that user message on (DELETE …/items/{id}), then send again, so the
// provider's copy is what the screen shows. A first message that fails before any reply leaves
// no empty conversation behind: the new conversation is deleted again.
import { useEffect, useRef, useState } from 'preact/hooks';
import { createConversation, deleteConversation, loadMessages, titleFrom, truncateFromUserMessage, type ConversationSummary } from '../api/chat-api.ts';
import { streamTurn, type TurnResult } from '../api/responses-stream.ts';
import { explainError, type Explained } from '../api/explain-error.ts';
import { partsFor, type Attachment, type ChatMessage, type InputPart } from '../api/message-parts.ts';

export interface TurnSettings { model: string; instructions?: string }

export interface ChatSessionOptions {
  conversationId: string | null;
  /** read when a message is sent: the chosen model and the instructions (if switched on) */
  settings(): TurnSettings;
  /** a conversation was just created for the first message (navigate to it, list it) */
  onCreated(c: ConversationSummary): void;
  /** the just-created conversation was deleted again because its first reply failed */
  onAbandoned(id: string): void;
}

export interface ChatSession {
  messages: ChatMessage[];
  streaming: boolean;
  /** loading the conversation, or an edit/regenerate, failed */
  problem: Explained | null;
  send(text: string, attachments: Attachment[]): Promise<void>;
  edit(key: string, text: string): Promise<void>;
  regenerate(): Promise<void>;
  stop(): void;
}

let localKeys = 0;
const newKey = () => `local-${++localKeys}`;

export function useChatSession(opts: ChatSessionOptions): ChatSession {
  const { conversationId } = opts;
  const [messages, setMessagesState] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [problem, setProblem] = useState<Explained | null>(null);
  const current = useRef<ChatMessage[]>([]);
  const abort = useRef<AbortController | null>(null);
  // the conversation ids (null: none) this page navigates to itself with their messages already
  // on screen: those navigations must not reload or clear them (each is consumed once; a quick
  // failure can navigate twice before one render)
  const keep = useRef(new Set<string | null>());
  const latest = useRef(opts);
  latest.current = opts;

  const setMessages = (next: ChatMessage[]) => { current.current = next; setMessagesState(next); };
  const update = (key: string, patch: Partial<ChatMessage>) => setMessages(current.current.map((m) => (m.key === key ? { ...m, ...patch } : m)));

  useEffect(() => {
    if (keep.current.delete(conversationId)) return;
    abort.current?.abort();
    setMessages([]);
    setProblem(null);
    if (!conversationId) return;
    let live = true;
    loadMessages(conversationId).then((ms) => { if (live) setMessages(ms); }, (e) => { if (live) setProblem(explainError(e)); });
    return () => { live = false; };
  }, [conversationId]);

  /** Sends `parts` as the next user message after `prior`, streaming the reply into view. */
  const turn = async (parts: InputPart[], user: ChatMessage, prior: ChatMessage[]) => {
    const { model, instructions } = latest.current.settings();
    const ac = new AbortController();
    abort.current = ac;
    setStreaming(true);
    setProblem(null);
    const reply: ChatMessage = { key: newKey(), role: 'assistant', text: '', status: 'streaming' };
    setMessages([...prior, { ...user, unsent: false }, reply]);
    let id = latest.current.conversationId;
    let createdNow = false;
    let accepted = false;
    let output = false;
    try {
      if (!id) {
        const c = await createConversation(titleFrom(user.text || user.attachments?.[0]?.name || ''));
        id = c.id;
        createdNow = true;
        keep.current.add(id);
        latest.current.onCreated(c);
      }
      const r = await streamTurn({
        model, instructions, conversationId: id, input: parts, signal: ac.signal,
        onResponseId: () => { accepted = true; },
        onText: (t) => { output = true; update(reply.key, { text: t }); },
      });
      update(reply.key, { text: r.text, exchange: r, status: r.completed ? 'done' : 'stopped' });
    } catch (e) {
      const partial = (e as { partial?: TurnResult }).partial;
      const stopped = e instanceof DOMException && e.name === 'AbortError';
      if (createdNow && id && !output && !stopped) {
        // never leave an empty conversation behind for a first message that got no answer
        keep.current.add(null);
        await deleteConversation(id).catch(() => { /* it stays listed; the person can delete it */ });
        latest.current.onAbandoned(id);
        accepted = false;
      }
      const err = stopped ? undefined : explainError(e);
      setMessages(current.current.map((m) => {
        if (m.key === user.key) return { ...m, unsent: !accepted && !output };
        if (m.key === reply.key) return { ...m, status: stopped ? 'stopped' : 'error', error: err, ...(partial ? { text: partial.text, exchange: partial } : {}) };
        return m;
      }));
    } finally {
      if (abort.current === ac) abort.current = null;
      setStreaming(false);
    }
  };

  /** How many user messages before index `i` the provider holds (its ordinal of the next one). */
  const sentBefore = (i: number) => current.current.slice(0, i).filter((m) => m.role === 'user' && !m.unsent).length;

  /**
   * Deletes the provider's items from the user message at index `i` on; its stored content, if
   * any. When that fails part-way, the screen is reloaded from the provider's copy.
   */
  const truncate = async (i: number): Promise<InputPart[] | null> => {
    const id = latest.current.conversationId;
    const m = current.current[i]!;
    if (!id || m.unsent) return null;
    try {
      return await truncateFromUserMessage(id, sentBefore(i));
    } catch (e) {
      await loadMessages(id).then(setMessages, () => { /* the problem below says enough */ });
      throw e;
    }
  };

  return {
    messages, streaming, problem,
    async send(text, attachments) {
      if (streaming) return;
      const user: ChatMessage = { key: newKey(), role: 'user', text, ...(attachments.length ? { attachments } : {}) };
      await turn(partsFor(text, attachments), user, current.current);
    },
    async edit(key, text) {
      const i = current.current.findIndex((m) => m.key === key && m.role === 'user');
      if (i === -1 || streaming) return;
      const old = current.current[i]!;
      try {
        await truncate(i);
      } catch (e) {
        setProblem(explainError(e));
        return;
      }
      await turn(partsFor(text, old.attachments), { ...old, key: newKey(), text }, current.current.slice(0, i));
    },
    async regenerate() {
      const ms = current.current;
      const i = ms.length - 1;
      if (streaming || i < 1 || ms[i]!.role !== 'assistant' || ms[i - 1]!.role !== 'user') return;
      const user = ms[i - 1]!;
      let parts: InputPart[] | null;
      try {
        parts = await truncate(i - 1);
      } catch (e) {
        setProblem(explainError(e));
        return;
      }
      // resend exactly what the provider held, or what this tab meant to send
      await turn(parts ?? partsFor(user.text, user.attachments), { ...user, key: newKey() }, ms.slice(0, i - 1));
    },
    stop() { abort.current?.abort(); },
  };
}
