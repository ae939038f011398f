// One axis scale per metric for a whole report: a metric is drawn on a log scale in
// every chart that shows it, or in none. Decided once from every value of the metric
// the report holds, so two neighbouring charts of downtime never disagree (one log,
// one linear) because each looked only at its own values.

/** The metrics charts are drawn of, by their JSON key. */
export type ScaledMetric = 'pagesSent' | 'totalTimeS' | 'downtimeMs' | 'oracleTimeRatio';

/** Log or linear, per metric. */
export type MetricScales = Partial<Record<ScaledMetric, 'log' | 'linear'>>;

/** The least of these numbers (a loop: a spread `Math.min(...xs)` overflows the stack past ~100 000 values); Infinity for none. */
export function minOf(values: readonly number[]): number {
  let m = Infinity;
  for (const v of values) if (v < m || Number.isNaN(v)) m = v;
  return m;
}

/** The largest of these numbers (a loop, as minOf); -Infinity for none. */
export function maxOf(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (v > m || Number.isNaN(v)) m = v;
  return m;
}

/** Positive values whose largest is more than ten times the smallest: a log scale shows them all. */
export function spansDecade(values: readonly (number | null | undefined)[]): boolean {
  const positive = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
  if (positive.length < 2) return false;
  return maxOf(positive) / minOf(positive) > 10;
}

/**
 * The scale of each metric: log when its values across the whole report span more than
 * a decade, linear otherwise. The distance to the oracle is a ratio (1 = optimal): always log.
 */
export function decideScales(values: Partial<Record<ScaledMetric, readonly (number | null | undefined)[]>>): MetricScales {
  const out: MetricScales = {};
  for (const [metric, vs] of Object.entries(values) as [ScaledMetric, readonly (number | null | undefined)[]][]) {
    out[metric] = metric === 'oracleTimeRatio' || spansDecade(vs) ? 'log' : 'linear';
  }
  return out;
}

/** What the scales are, for a report's reader: "downtime and total time on log scales, pages sent linear". */
export function scalesText(scales: MetricScales): string {
  const names: Record<ScaledMetric, string> = { pagesSent: 'pages sent', totalTimeS: 'total time', downtimeMs: 'downtime', oracleTimeRatio: 'distance to the oracle' };
  const of = (kind: 'log' | 'linear') => (Object.keys(scales) as ScaledMetric[]).filter((m) => scales[m] === kind).map((m) => names[m]);
  const join = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
  const log = of('log');
  const linear = of('linear');
  return [log.length ? `${join(log)} on a log scale` : '', linear.length ? `${join(linear)} on a linear scale` : ''].filter(Boolean).join('; ');
}
