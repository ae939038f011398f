// The `data_pages` metadata (docs/trace-format.md): the pages that held data at trace
// start, as inclusive ranges "a-b,c,d-e", ascending and disjoint. Parsed and checked
// once, where the metadata is parsed; models read TraceMeta.dataPages.
import { fail } from '../errors.js';

/** Inclusive [first, last] page ranges, ascending and disjoint. */
export type PageRanges = readonly (readonly [number, number])[];

const PAGE = /^[0-9]{1,10}$/;

/** Parse `data_pages` of a trace with memPages pages; one-line 'schema' error naming the bad range. */
export function parseDataPages(src: string, text: string, memPages: number): PageRanges {
  const out: [number, number][] = [];
  if (text === '') return out;
  const bad = (part: string, why: string): never =>
    fail('schema', `${src}: schema metadata 'data_pages': ${JSON.stringify(part.length > 40 ? part.slice(0, 40) + '…' : part)} ${why}`);
  let next = 0;
  for (const part of text.split(',')) {
    const dash = part.indexOf('-');
    const a = dash < 0 ? part : part.slice(0, dash);
    const b = dash < 0 ? part : part.slice(dash + 1);
    if (!PAGE.test(a) || !PAGE.test(b)) bad(part, 'is not a page or an inclusive range a-b of plain page numbers');
    const first = Number(a), last = Number(b);
    if (last < first) bad(part, 'ends before it starts');
    if (last >= memPages) bad(part, `reaches past the last page (mem_pages = ${memPages})`);
    if (first < next) bad(part, 'is not after the range before it (ranges must ascend without overlapping)');
    out.push([first, last]);
    next = last + 1;
  }
  return out;
}

/** Pages covered by the ranges. */
export function rangePages(r: PageRanges): number {
  let n = 0;
  for (const [a, b] of r) n += b - a + 1;
  return n;
}
