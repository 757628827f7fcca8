/** Median with min and max of repeated measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) {
    return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** The value at a quantile (0–1) of ascending samples: the nearest-rank method. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Latency summary of samples in microseconds. */
export interface LatencySummary {
  count: number;
  opsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarizeMicros(micros: readonly number[], elapsedMs: number): LatencySummary {
  const sorted = [...micros].sort((a, b) => a - b);
  return {
    count: sorted.length,
    opsPerSecond: elapsedMs > 0 ? (sorted.length * 1000) / elapsedMs : Number.NaN,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}
