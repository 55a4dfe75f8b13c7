// Chat: conversation list, model picker, messages, streamed replies, attachments and export.
//
// Replies use the Responses API attached to an upstream conversation (`conversation: id`):
// the conversation history lives with the model provider, not in Cloister (which keeps who owns
// which id, and a sealed copy of the title), so reloading the page or opening another device
// finds it again through GET /v1/conversations/{id}/items.
import { useEffect, useRef, useState } from 'preact/hooks';
import { navigate } from '../lib/router.ts';
import { activeInstructions } from '../api/settings-api.ts';
import { titleOf } from '../chat/conversation-groups.ts';
import { useConversations } from '../chat/use-conversations.ts';
import { useChatSession } from '../chat/use-chat-session.ts';
import { useChatSetup } from '../chat/use-chat-setup.ts';
import { useAttachmentDraft } from '../chat/use-attachment-draft.ts';
import { conversationJson, conversationMarkdown, downloadText, exportFileName } from '../chat/export-conversation.ts';
import { ConversationList } from '../components/conversation-list.tsx';
import { ModelPicker } from '../components/model-picker.tsx';
import { Composer } from '../components/composer.tsx';
import { MessageView } from '../components/message-view.tsx';
import { ErrorNotice } from '../components/error-notice.tsx';
import { MenuButton } from '../components/menu-button.tsx';

export function ChatPage({ conversationId }: { conversationId: string | null }) {
  const setup = useChatSetup();
  const list = useConversations();
  const [drawer, setDrawer] = useState(false);
  const [dragging, setDragging] = useState(false);
  const draft = useAttachmentDraft(setup.config);
  const chat = useChatSession({
    conversationId,
    settings: () => ({ model: setup.model, instructions: activeInstructions(setup.settings) }),
    onCreated: (c) => { list.added(c); navigate(`/c/${c.id}`); },
    onAbandoned: (id) => { void list.reload(); if (location.pathname === `/c/${id}`) navigate('/', true); },
  });
  const endRef = useRef<HTMLDivElement>(null);
  useEffect(() => { endRef.current?.scrollIntoView({ block: 'end' }); }, [chat.messages]);

  const summary = list.items.find((c) => c.id === conversationId);
  const exportAs = (ext: 'md' | 'json') => {
    if (!conversationId) return;
    const source = { id: conversationId, title: summary ? titleOf(summary) : 'Conversation', createdAt: summary?.created_at ?? null, messages: chat.messages };
    if (ext === 'md') downloadText(conversationMarkdown(source), exportFileName(source.title, 'md'), 'text/markdown');
    else downloadText(conversationJson(source), exportFileName(source.title, 'json'), 'application/json');
  };
  const ms = chat.messages;
  const last = ms[ms.length - 1];
  const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');

  return (
    <div class="chat">
      <ConversationList list={list} currentId={conversationId} open={drawer} onClose={() => setDrawer(false)}
        onDeleted={(id) => { if (id === conversationId) navigate('/', true); }} />
      <main class={dragging ? 'chat-main dragging' : 'chat-main'} aria-label="Chat"
        onDragOver={(e) => { if (!hasFiles(e)) return; e.preventDefault(); setDragging(true); }}
        onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false); }}
        onDrop={(e) => { if (!hasFiles(e)) return; e.preventDefault(); setDragging(false); void draft.add([...(e.dataTransfer?.files ?? [])]); }}>
        <div class="chat-toolbar">
          <button type="button" class="drawer-toggle" aria-controls="conversation-drawer" aria-expanded={drawer} onClick={() => setDrawer(true)}>Conversations</button>
          <ModelPicker models={setup.models} model={setup.model} onChange={setup.setModel} disabled={chat.streaming} />
          {activeInstructions(setup.settings) && <span class="muted small instructions-on" title="Your custom instructions (Account page) are sent with every message.">Instructions on</span>}
          {conversationId && ms.length > 0 && (
            <MenuButton class="export-menu" label="Export this conversation" title="Export">
              {(close) => (
                <>
                  <button type="button" class="small" onClick={() => { close(); exportAs('md'); }}>Markdown (.md)</button>
                  <button type="button" class="small" onClick={() => { close(); exportAs('json'); }}>JSON (.json)</button>
                </>
              )}
            </MenuButton>
          )}
        </div>
        {setup.error && <p role="alert" class="error">{setup.error}</p>}
        {chat.problem && <div class="problem"><ErrorNotice error={chat.problem} small={false} /></div>}
        <section class="messages" aria-live="polite" aria-busy={chat.streaming}>
          {ms.length === 0 && !chat.problem && (
            <div class="empty">
              <p>Start a conversation.</p>
              <p class="muted small">Cloister keeps only ids, who owns them, usage counters and a sealed copy of your titles and settings — never what you write. The model provider keeps the conversation so you can come back to it, and deletes it when you delete it.</p>
            </div>
          )}
          {ms.map((m, i) => (
            <MessageView key={m.key} m={m}
              onEdit={m.role === 'user' && !chat.streaming ? (text) => void chat.edit(m.key, text) : undefined}
              onRegenerate={m === last && m.role === 'assistant' && i > 0 && !chat.streaming ? () => void chat.regenerate() : undefined} />
          ))}
          <div ref={endRef} />
        </section>
        {dragging && <div class="drop-hint" aria-hidden="true">Drop images or text files to attach them</div>}
        <Composer streaming={chat.streaming} disabled={!setup.model} config={setup.config} draft={draft}
          onSend={(t, a) => void chat.send(t, a)} onStop={chat.stop} />
      </main>
    </div>
  );
}
