// What a CLI command may touch: output streams and the environment it was started with.
import type { Env } from '../config.ts';

export interface CliIo {
  readonly env: Env;
  stdout(line: string): void;
  stderr(line: string): void;
}

/** Thrown for bad arguments: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
