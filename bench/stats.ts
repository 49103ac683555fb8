/** Medians, quartiles and the median of per-round ratios with its spread. */

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** A ratio measured many times: its median, quartiles (the spread shown) and extremes. */
export interface RatioStat {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  /** How many ratios: rounds (one process) or process pairs (alternating processes). */
  count: number;
  basis: "rounds" | "processes";
}

export function ratioStat(ratios: readonly number[], basis: RatioStat["basis"]): RatioStat | undefined {
  const finite = ratios.filter((r) => Number.isFinite(r) && r > 0);
  if (finite.length === 0) return undefined;
  return {
    median: median(finite),
    q1: quantile(finite, 0.25),
    q3: quantile(finite, 0.75),
    min: Math.min(...finite),
    max: Math.max(...finite),
    count: finite.length,
    basis,
  };
}

function fixed(r: number): string {
  return r < 10 ? r.toFixed(2) : r.toFixed(1);
}

/** "1.42×" */
export function formatStat(stat: RatioStat | undefined): string {
  return stat === undefined ? "" : `${fixed(stat.median)}×`;
}

/** "1.38–1.47" (the interquartile range of the ratios). */
export function formatSpread(stat: RatioStat | undefined): string {
  return stat === undefined ? "" : `${fixed(stat.q1)}–${fixed(stat.q3)}`;
}
