// Series that coincide. Two algorithms with exactly the same values draw one line
// exactly on top of the other, and the one underneath vanishes without a trace
// (precopy under xen-v2, advance-xenvmc under precopy). Such series are drawn once,
// named for all of them in the legend: "precopy = xen-v2".
import { algorithmColors } from './vega.js';

/** The text that stands for a group of identical series: "precopy = xen-v2". */
export function groupLabel(ids: readonly string[]): string {
  return ids.join(' = ');
}

/** A value's key for comparing series: equal to 9 significant digits counts as identical. */
export function sameValueKey(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(9)).toString() : String(v);
}

/**
 * Ids grouped by identical signatures, each group in the order the ids are given
 * (the registry order, so the first member keeps its own colour).
 */
export function identicalGroups(ids: readonly string[], signature: (id: string) => string): string[][] {
  const bySig = new Map<string, string[]>();
  for (const id of ids) {
    const s = signature(id);
    bySig.set(s, [...(bySig.get(s) ?? []), id]);
  }
  return [...bySig.values()];
}

/** The colour scale of grouped series: each group takes its first member's fixed colour. */
export function groupColors(groups: readonly string[][]): { domain: string[]; range: string[] } {
  const all = algorithmColors(groups.flat());
  const colour = (id: string) => all.range[all.domain.indexOf(id)]!;
  return { domain: groups.map(groupLabel), range: groups.map((g) => colour(g[0]!)) };
}

/** "precopy = xen-v2: identical values, drawn as one line" for every group of two or more; null when none. */
export function identicalNote(groups: readonly string[][]): string | null {
  const same = groups.filter((g) => g.length > 1);
  if (same.length === 0) return null;
  return `${same.map(groupLabel).join('; ')}: identical values, drawn as one line`;
}
