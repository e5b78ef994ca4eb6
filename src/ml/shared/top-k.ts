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
