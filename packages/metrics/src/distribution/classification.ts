// Accuracy and balanced accuracy for classifier-based evaluation of generated images (sklearn's definitions).

function checkLabels(pred: ArrayLike<number>, target: ArrayLike<number>, fn: string): void {
  if (pred.length !== target.length) throw new Error(`${fn}: pred has ${pred.length} labels but target has ${target.length}`);
  if (pred.length === 0) throw new Error(`${fn}: no labels given`);
  for (let i = 0; i < pred.length; i++) {
    if (!Number.isInteger(pred[i]) || !Number.isInteger(target[i])) throw new Error(`${fn}: labels must be integers (index ${i}: pred ${pred[i]}, target ${target[i]})`);
  }
}

/**
 * Fraction of positions where `pred` equals `target`.
 *
 * @example
 * accuracy([0, 1, 1], [0, 1, 0]); // 2/3
 */
export function accuracy(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  checkLabels(pred, target, 'accuracy');
  let hit = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === target[i]) hit++;
  return hit / pred.length;
}

/**
 * Balanced accuracy as sklearn's `balanced_accuracy_score` (adjusted = false): the mean over the classes that
 * occur in `target` of each class's recall. Classes that appear only in `pred` do not count.
 *
 * @example
 * balancedAccuracy([0, 0, 0, 1], [0, 0, 1, 1]); // (1 + 0.5) / 2 = 0.75
 */
export function balancedAccuracy(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  checkLabels(pred, target, 'balancedAccuracy');
  const total = new Map<number, number>();
  const hit = new Map<number, number>();
  for (let i = 0; i < target.length; i++) {
    const t = target[i]!;
    total.set(t, (total.get(t) ?? 0) + 1);
    if (pred[i] === t) hit.set(t, (hit.get(t) ?? 0) + 1);
  }
  let s = 0;
  for (const [cls, count] of total) s += (hit.get(cls) ?? 0) / count;
  return s / total.size;
}
