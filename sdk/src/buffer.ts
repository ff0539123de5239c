import { type BatchLimits, isBatchFull, nextBatchSize, type SizedEntry } from './batching';

/**
 * First-in first-out buffer with a fixed capacity that drops its OLDEST entry to make room.
 *
 * Why oldest: when SQS is down long enough to fill the buffer, the newest events carry the freshest
 * state (a terminal event supersedes its task's `started`), and keeping stale `started` events while
 * dropping their `succeeded` would make finished tasks look stuck.
 */
export class DropOldestBuffer<T extends SizedEntry> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** The oldest entry, if any. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Append an entry; returns the entry dropped to make room, if the buffer was full. */
  push(entry: T): T | undefined {
    const dropped = this.length >= this.capacity ? this.shift() : undefined;
    this.items.push(entry);
    return dropped;
  }

  /** Whether the oldest entries already fill one request. */
  hasFullBatch(limits: BatchLimits): boolean {
    return this.length > 0 && isBatchFull(this.items, limits, this.head);
  }

  /** Remove and return the oldest entries that fit in one request (empty when the buffer is). */
  takeBatch(limits: BatchLimits): T[] {
    const size = nextBatchSize(this.items, limits, this.head);
    const batch = this.items.slice(this.head, this.head + size);
    this.head += size;
    this.compact();
    return batch;
  }

  private shift(): T | undefined {
    const entry = this.items[this.head];
    this.head++;
    this.compact();
    return entry;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
