/** A fixed-size ring of the most recent items, oldest first; old items fall off the end. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count += 1;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th item counted from the oldest. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  oldest(): T | undefined {
    return this.at(0);
  }

  /** Items from index i (oldest = 0) to the newest. */
  from(i: number): T[] {
    const out: T[] = [];
    for (let k = Math.max(0, i); k < this.count; k++) out.push(this.items[(this.start + k) % this.capacity] as T);
    return out;
  }
}
