/** A user's aggregated history in item indices: what every scorer reads. */
export interface UserHistory {
  items: Int32Array;
  /** Signed aggregated signal per item (negative: disliked). */
  weights: Float32Array;
}
