// The conversation list's sections: Pinned, then Today / Yesterday / Previous 7 days / Older by
// creation time in the browser's local time zone; a title search filters before grouping.
import type { ConversationSummary } from '../api/chat-api.ts';

export interface ConversationGroup { label: string; items: ConversationSummary[] }

const DAY = 24 * 60 * 60 * 1000;

/** Local midnight of the day containing `ms`. */
function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function isPinned(c: ConversationSummary): boolean {
  return c.metadata?.pinned === 'true';
}

export function titleOf(c: ConversationSummary): string {
  return c.metadata?.title?.trim() || 'Untitled conversation';
}

/** Groups (newest first inside each); empty groups are left out. */
export function groupConversations(list: readonly ConversationSummary[], query: string, now = Date.now()): ConversationGroup[] {
  const q = query.trim().toLocaleLowerCase();
  const shown = q ? list.filter((c) => titleOf(c).toLocaleLowerCase().includes(q)) : list;
  const today = startOfDay(now);
  // calendar days, not 24-hour spans: a daylight-saving change makes one day 23 or 25 hours long
  const yesterday = startOfDay(today - DAY / 2);
  const weekAgo = startOfDay(today - 6.5 * DAY);
  const groups: ConversationGroup[] = [
    { label: 'Pinned', items: [] }, { label: 'Today', items: [] }, { label: 'Yesterday', items: [] },
    { label: 'Previous 7 days', items: [] }, { label: 'Older', items: [] },
  ];
  const sorted = [...shown].sort((a, b) => b.created_at - a.created_at);
  for (const c of sorted) {
    const at = c.created_at * 1000;
    const g = isPinned(c) ? 0 : at >= today ? 1 : at >= yesterday ? 2 : at >= weekAgo ? 3 : 4;
    groups[g]!.items.push(c);
  }
  return groups.filter((g) => g.items.length > 0);
}
