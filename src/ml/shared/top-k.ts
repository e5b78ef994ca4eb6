/**
 * The one top-K selection of the ML core: a fixed-capacity buffer kept sorted by value,
 * descending, with ties ordered by the lower id first. Offers cost O(k) at worst and nothing
 * once a value cannot enter, so a scan over a catalogue is O(n) for the small k used here
 * (10–100). No allocation after construction: hot loops reuse one buffer with {@link reset}.
 */
export class TopKBuffer {
  readonly capacity: number;
  /** Ids of the kept entries, best first (valid up to `size`). */
  readonly ids: Int32Array;
  /** Values of the kept entries, descending (valid up to `size`). */
  readonly values: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.ids = new Int32Array(this.capacity);
    this.values = new Float64Array(this.capacity);
  }

  reset(): void {
    this.size = 0;
  }

  /** Whether `value` would be kept: false when full and not above the last kept value. */
  admits(value: number): boolean {
    return this.size < this.capacity || value > this.values[this.size - 1];
  }

  /**
   * Keeps (value, id) if it ranks in the top `capacity`. A value equal to the last kept one is
   * refused when the buffer is full; among kept equal values the lower id comes first.
   */
  offer(value: number, id: number): void {
    if (!this.admits(value)) return;
    const { ids, values } = this;
    let pos = this.size < this.capacity ? this.size : this.capacity - 1;
    while (pos > 0 && (values[pos - 1] < value || (values[pos - 1] === value && ids[pos - 1] > id))) {
      values[pos] = values[pos - 1];
      ids[pos] = ids[pos - 1];
      pos--;
    }
    values[pos] = value;
    ids[pos] = id;
    if (this.size < this.capacity) this.size++;
  }
}

/**
 * The same selection for large k (a campaign audience of thousands): a binary min-heap of the
 * kept entries, so an offer costs O(log k) instead of TopKBuffer's O(k) shift (30,000 users into
 * a 10,000-capacity buffer measured ~0.9 s). Offered in increasing id order, it keeps exactly what
 * TopKBuffer keeps: an equal value is refused when full (its id is higher), and among kept equal
 * values the lower id ranks first. `sorted()` returns ids and values best first.
 */
export class TopKHeap {
  readonly capacity: number;
  private readonly ids: Int32Array;
  private readonly values: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.ids = new Int32Array(this.capacity);
    this.values = new Float64Array(this.capacity);
  }

  /** Whether (value, id) ranks below (otherValue, otherId). */
  private worse(value: number, id: number, otherValue: number, otherId: number): boolean {
    return value < otherValue || (value === otherValue && id > otherId);
  }

  admits(value: number): boolean {
    return this.size < this.capacity || value > this.values[0];
  }

  offer(value: number, id: number): void {
    if (!this.admits(value)) return;
    const { ids, values } = this;
    let pos: number;
    if (this.size < this.capacity) {
      pos = this.size++;
      // Sift up: the worst entry stays at the root.
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!this.worse(value, id, values[parent], ids[parent])) break;
        values[pos] = values[parent];
        ids[pos] = ids[parent];
        pos = parent;
      }
    } else {
      pos = 0;
      // Replace the root and sift down.
      for (;;) {
        const left = 2 * pos + 1;
        if (left >= this.size) break;
        const right = left + 1;
        const child = right < this.size && this.worse(values[right], ids[right], values[left], ids[left]) ? right : left;
        if (!this.worse(values[child], ids[child], value, id)) break;
        values[pos] = values[child];
        ids[pos] = ids[child];
        pos = child;
      }
    }
    values[pos] = value;
    ids[pos] = id;
  }

  /** The kept entries, best first (ties: lower id first). */
  sorted(): { ids: Int32Array; values: Float64Array } {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => this.values[b] - this.values[a] || this.ids[a] - this.ids[b]);
    return { ids: Int32Array.from(order, (i) => this.ids[i]), values: Float64Array.from(order, (i) => this.values[i]) };
  }
}
