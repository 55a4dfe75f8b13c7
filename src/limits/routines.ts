// Where the limits' code in Postgres lives (limits.sql, next to this module in src/ and, after
// the build, in dist/src): applied by the migration runner after the migrations.
import type { RoutineSource } from '../db/migrate.ts';

/** The limits' functions: GCRA, the inference check and settlement, the principal announcements. */
export const LIMITS_ROUTINES: RoutineSource = { name: 'limits', file: new URL('./limits.sql', import.meta.url) };
