export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of true examples of this class. */
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  macroF1: number;
  /** Support-weighted mean F1. */
  weightedF1: number;
  perClass: ClassMetrics[];
  labels: string[];
  /** confusion[i][j] = count of true labels[i] predicted as labels[j]. */
  confusion: number[][];
  total: number;
}

/**
 * Standard multi-class metrics. Undefined ratios (a class never predicted, or
 * absent from the truth) are reported as 0 rather than NaN, like sklearn's
 * zero_division=0. Labels default to the sorted union of both arrays; any label
 * outside an explicit list throws, so mistakes do not vanish silently.
 */
export function classificationMetrics(actual: readonly string[], predicted: readonly string[], labels?: readonly string[]): ClassificationMetrics {
  if (actual.length !== predicted.length) throw new RangeError('actual and predicted differ in length');
  const labelList = labels ? [...labels] : [...new Set([...actual, ...predicted])].sort();
  const index = new Map(labelList.map((l, i) => [l, i]));
  const k = labelList.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = index.get(actual[i]);
    const p = index.get(predicted[i]);
    if (a === undefined || p === undefined) throw new RangeError(`label not in label list: ${a === undefined ? actual[i] : predicted[i]}`);
    confusion[a][p]++;
    if (a === p) correct++;
  }
  const perClass: ClassMetrics[] = labelList.map((label, c) => {
    const tp = confusion[c][c];
    let predictedAs = 0;
    let support = 0;
    for (let r = 0; r < k; r++) predictedAs += confusion[r][c];
    for (let col = 0; col < k; col++) support += confusion[c][col];
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  const total = actual.length;
  const macroF1 = k === 0 ? 0 : perClass.reduce((s, c) => s + c.f1, 0) / k;
  const weightedF1 = total === 0 ? 0 : perClass.reduce((s, c) => s + c.f1 * c.support, 0) / total;
  return { accuracy: total === 0 ? 0 : correct / total, macroF1, weightedF1, perClass, labels: labelList, confusion, total };
}
