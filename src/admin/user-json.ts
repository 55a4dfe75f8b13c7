// A user as admins see it (API and `cloister users list --json`): account state, tier,
// overrides and this month's usage counts.
import type { AdminUserRow } from './queries.ts';

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);

/** The JSON of one user as admins see it. */
export function adminUserJson(u: AdminUserRow, monthStart: string) {
  return {
    object: 'admin.user', id: u.id, email: u.email, created_at: seconds(u.created_at), last_active_at: seconds(u.last_active_at),
    disabled: u.disabled_at !== null, disabled_at: seconds(u.disabled_at), is_admin: u.is_admin, tier: u.tier, limit_overrides: u.limit_overrides,
    usage_this_month: {
      since: monthStart, requests: Number(u.requests), input_tokens: Number(u.input_tokens),
      output_tokens: Number(u.output_tokens), estimated_tokens: Number(u.estimated_tokens),
    },
  };
}
