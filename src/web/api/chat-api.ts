// Models and conversations (OpenAI shapes). Cloister lists the caller's conversations itself,
// newest first, with its sealed copy of each one's metadata (title, pinned): one request.
import { api } from './http.ts';
import { messageFromParts, partsFromContent, type ChatMessage, type InputPart } from './message-parts.ts';

export interface Model { id: string; owned_by?: string }
export interface ConversationMetadata { title?: string; pinned?: string; [key: string]: string | undefined }
export interface ConversationSummary { id: string; created_at: number; metadata?: ConversationMetadata | null }
export interface ListPage<T> { data: T[]; has_more?: boolean; last_id?: string | null }

/** Longest title kept (from the first message, or typed when renaming). */
export const TITLE_MAX = 60;

/** The models this server allows, in the server's order (its default first). */
export async function listModels(): Promise<Model[]> {
  return (await api<ListPage<Model>>('/v1/models')).data;
}

/** Every conversation of the signed-in user, newest first (a few pages at most). */
export async function listAllConversations(): Promise<ConversationSummary[]> {
  const out: ConversationSummary[] = [];
  let after: string | undefined;
  for (let page = 0; page < 20; page++) {
    const q = new URLSearchParams({ limit: '100' });
    if (after) q.set('after', after);
    const res = await api<ListPage<ConversationSummary>>(`/v1/conversations?${q}`);
    out.push(...res.data);
    if (!res.has_more || res.data.length === 0) break;
    after = res.last_id ?? res.data[res.data.length - 1]!.id;
  }
  return out;
}

/** A title from the first words of a message: one line, at most TITLE_MAX characters. */
export function titleFrom(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= TITLE_MAX) return line || 'New conversation';
  const cut = line.slice(0, TITLE_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Creates the upstream conversation with its title in the metadata. */
export function createConversation(title: string): Promise<ConversationSummary> {
  return api<ConversationSummary>('/v1/conversations', { method: 'POST', body: { metadata: { title } } });
}

/** Replaces a conversation's metadata (send every key: the metadata is replaced whole). */
export function updateConversation(id: string, metadata: ConversationMetadata): Promise<ConversationSummary> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== undefined) clean[k] = v;
  return api<ConversationSummary>(`/v1/conversations/${encodeURIComponent(id)}`, { method: 'POST', body: { metadata: clean } });
}

export function deleteConversation(id: string): Promise<unknown> {
  return api(`/v1/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export interface ConversationItem {
  id: string;
  type: string;
  role?: string;
  content?: Array<{ type: string; text?: string; image_url?: string }>;
}

/** Every item of a conversation, oldest first. */
export async function listItems(conversationId: string): Promise<ConversationItem[]> {
  const out: ConversationItem[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const q = new URLSearchParams({ order: 'asc', limit: '100' });
    if (after) q.set('after', after);
    const res = await api<ListPage<ConversationItem>>(`/v1/conversations/${encodeURIComponent(conversationId)}/items?${q}`);
    out.push(...res.data);
    if (!res.has_more || res.data.length === 0) break;
    after = res.last_id ?? res.data[res.data.length - 1]!.id;
  }
  return out;
}

/** The conversation's messages (user and assistant), oldest first. */
export async function loadMessages(conversationId: string): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (const item of await listItems(conversationId)) {
    if (item.type !== 'message' || (item.role !== 'user' && item.role !== 'assistant')) continue;
    out.push({ ...messageFromParts(item.role, partsFromContent(item.content)), key: item.id, status: 'done' });
  }
  return out;
}

/**
 * Removes the items from the `userOrdinal`-th user message (0-based) to the end, newest first, so
 * the provider's copy matches what the screen keeps (edit and regenerate). Returns that user
 * message's content as stored upstream, or null when it never reached the provider.
 */
export async function truncateFromUserMessage(conversationId: string, userOrdinal: number): Promise<InputPart[] | null> {
  const items = await listItems(conversationId);
  const userIndexes = items.flatMap((it, i) => (it.type === 'message' && it.role === 'user' ? [i] : []));
  const from = userIndexes[userOrdinal];
  if (from === undefined) return null;
  for (const item of items.slice(from).reverse()) {
    await api(`/v1/conversations/${encodeURIComponent(conversationId)}/items/${encodeURIComponent(item.id)}`, { method: 'DELETE' });
  }
  return partsFromContent(items[from]!.content);
}
