// Log lines batched in memory and handed to the destination as one string per batch: a busy
// server writes thousands of access-log lines a second, and a write(2) each cost a tenth of an
// inference request's CPU. Why not SonicBoom's own buffering (its minLength): it appends each
// line to one pending string and measures that string's byte length on every line, which
// flattens (copies) it, so every line costs in proportion to the buffer; at 2 KiB, with a
// write(2) every ~8 lines, it cost 12% of an inference request's CPU against this batcher
// (docs/performance.md). Here a line costs an array push, and a batch one join and one write.
import type { Clock } from './clock.ts';

/** What the batcher writes to (pino's SonicBoom destination, synchronous and unbuffered). */
export interface LineSink {
  write(text: string): unknown;
  flushSync?(): void;
}

export interface LineBatching {
  /** a batch is written once it holds this many characters... */
  readonly maxChars: number;
  /** ...or this long after its first line */
  readonly maxDelayMs: number;
}

export class LineBatcher {
  private pending: string[] = [];
  private chars = 0;
  private scheduled = false;
  private readonly sink: LineSink;
  private readonly batching: LineBatching;
  private readonly after: Clock['after'];

  constructor(sink: LineSink, batching: LineBatching, after: Clock['after']) {
    this.sink = sink;
    this.batching = batching;
    this.after = after;
  }

  write(line: string): boolean {
    this.pending.push(line);
    this.chars += line.length;
    if (this.chars >= this.batching.maxChars) {
      this.drain();
    } else if (!this.scheduled) {
      this.scheduled = true;
      // The timer's callback holds the batcher: an exit hook that holds it only weakly still
      // finds it while lines are pending, even when nobody else holds the logger.
      this.after(this.batching.maxDelayMs, () => {
        this.scheduled = false;
        this.drain();
      });
    }
    return true;
  }

  /** Writes the pending lines now (at exit, or when pino's logger is flushed). */
  flushSync(): void {
    this.drain();
    this.sink.flushSync?.();
  }

  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  private drain(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.chars = 0;
    this.sink.write(text);
  }
}
