// Sizes, rates and durations with units, and plain numbers, as the command line accepts
// them. Units are case-sensitive, as SI and IEC write them: a lower-case b is a bit, an
// upper-case B a byte, k is kilo (10^3), M mega, G giga, T tera, and Ki, Mi, Gi, Ti are
// powers of 1024. What could be read two ways — a bare prefix (`1M`), `mb`, `mB`, `Kb` —
// is refused with a message that lists the spellings that are accepted (docs/errors.md).
import { fail } from './errors.js';

const SI: [string, number][] = [['k', 1e3], ['M', 1e6], ['G', 1e9], ['T', 1e12]];
const IEC: [string, number][] = [['Ki', 1024], ['Mi', 1024 ** 2], ['Gi', 1024 ** 3], ['Ti', 1024 ** 4]];

// Sizes: bytes. A bare number is bytes.
const SIZE_UNITS: Record<string, number> = { '': 1, B: 1 };
for (const [p, f] of [...SI, ...IEC]) SIZE_UNITS[`${p}B`] = f;

// Rates, in bytes per second. Bits: bit, bit/s, b/s, bps with any SI prefix, and kb, Mb,
// Gb, Tb; bytes: B/s, Bps, B with an SI or IEC prefix (MB/s, MBps, MB, MiB/s, …). A bare
// number is bytes per second.
const RATE_UNITS: Record<string, number> = { '': 1 };
for (const [p, f] of [['', 1] as [string, number], ...SI]) {
  for (const u of ['bit', 'bit/s', 'b/s', 'bps']) RATE_UNITS[`${p}${u}`] = f / 8;
  if (p) RATE_UNITS[`${p}b`] = f / 8;
}
for (const [p, f] of [['', 1] as [string, number], ...SI, ...IEC]) {
  for (const u of ['B', 'B/s', 'Bps']) RATE_UNITS[`${p}${u}`] = f;
}

const DURATION_UNITS: Record<string, number> = { '': 1, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, min: 60, h: 3600 };

/** What each kind of value accepts, spelled out for messages. */
const SPELLINGS = {
  size: 'sizes are B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), spelled exactly so, e.g. 4KiB, 1GiB, 10GB',
  rate: 'rates in bits are bit, kbit, Mbit, Gbit, Tbit or kb, Mb, Gb, Tb (each with or without /s) or bps, kbps, Mbps, Gbps, Tbps; in bytes B/s, kB/s, MB/s, GB/s, TB/s (or MB, MBps) or KiB/s, MiB/s, GiB/s, TiB/s; spelled exactly so, e.g. 100Mbit, 1Gbit, 10GB/s',
  duration: 'durations are us, ms, s, m (or min), h, spelled exactly so, e.g. 300ms, 2s, 10m',
} as const;

// Bare prefixes and the units of every kind, lower-cased: a unit that is none of the
// accepted spellings but is one of these in another case is a unit written ambiguously.
const LOOKALIKES = new Set<string>([
  ...['k', 'm', 'g', 't', 'ki', 'mi', 'gi', 'ti', 'kib', 'mib', 'gib', 'tib'],
  ...[SIZE_UNITS, RATE_UNITS, DURATION_UNITS].flatMap((t) => Object.keys(t).map((k) => k.toLowerCase())),
]);

/** A plain decimal number: digits, an optional fraction, an optional exponent (no sign, hex, spaces, Infinity or NaN). */
const DECIMAL = /^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?$/;
const NUMBER_AND_UNIT = /^([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-zµ/]*)$/;

/** Text from the command line for a one-line message: control characters escaped, long text cut. */
function shown(text: string): string {
  const cut = text.length > 40;
  return JSON.stringify(cut ? text.slice(0, 40) : text).slice(1, -1) + (cut ? '…' : '');
}

/**
 * A plain decimal number ≥ 0 from text (or a finite number ≥ 0 from code): `5`, `2.5`,
 * `.5`, `1e3`. Refused, with one line: empty text, spaces, a sign other than a leading
 * minus (said as negative), hex or octal or binary literals, `Infinity`, `NaN`, units.
 * `expected` says what was wanted (default "a plain decimal number").
 */
export function parseDecimal(what: string, text: string | number, expected = 'a plain decimal number'): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) fail('bad-unit', `${what}: ${text} is not ${expected}`);
    if (text < 0) fail('bad-unit', `${what}: '${text}' is negative (give a value ≥ 0)`);
    return text;
  }
  if (typeof text !== 'string') fail('bad-unit', `${what}: ${shown(String(text))} is not ${expected}`);
  if (text.startsWith('-') && DECIMAL.test(text.slice(1))) fail('bad-unit', `${what}: '${shown(text)}' is negative (give a value ≥ 0)`);
  if (!DECIMAL.test(text)) fail('bad-unit', `${what}: '${shown(text)}' is not ${expected}`);
  const value = Number(text);
  if (!Number.isFinite(value)) fail('bad-unit', `${what}: '${shown(text)}' is out of range`);
  return value;
}

function parseWithUnits(what: string, text: string | number, units: Record<string, number>, kind: keyof typeof SPELLINGS, example: string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) fail('bad-unit', `${what}: ${text} is not a non-negative number`);
    return text;
  }
  const trimmed = String(text).trim();
  const m = NUMBER_AND_UNIT.exec(trimmed.startsWith('-') ? trimmed.slice(1) : trimmed);
  if (trimmed.startsWith('-') && m) fail('bad-unit', `${what}: '${shown(text)}' is negative (give a value ≥ 0)`);
  const factor = m ? units[m[2]!] : undefined;
  if (!m || factor === undefined) {
    if (m && LOOKALIKES.has(m[2]!.toLowerCase())) fail('bad-unit', `${what}: '${shown(text)}' is ambiguous: ${SPELLINGS[kind]}`);
    fail('bad-unit', `${what}: cannot read '${shown(text)}' (expected a number with a unit, e.g. ${example})`);
  }
  const value = Number(m[1]) * factor;
  if (!Number.isFinite(value)) fail('bad-unit', `${what}: '${shown(text)}' is out of range`);
  return value;
}

/** Bytes from '4KiB', '1GiB', '10GB', '512B', or a plain byte count. */
export function parseSize(what: string, text: string | number): number {
  return parseWithUnits(what, text, SIZE_UNITS, 'size', '4KiB, 1GiB, 10GB');
}

/** Bytes per second from '100Mbit', '1Gbit', '10GB/s', '50MiB/s', or a plain bytes/s count. */
export function parseRate(what: string, text: string | number): number {
  return parseWithUnits(what, text, RATE_UNITS, 'rate', '100Mbit, 1Gbit, 10GB/s');
}

/**
 * Seconds from '300ms', '2s', '10m'. A bare number in text is refused unless it is 0:
 * '50' could mean 50 ms as easily as 50 s (a JS number is taken as seconds).
 */
export function parseDuration(what: string, text: string | number): number {
  if (typeof text === 'string' && DECIMAL.test(text.trim()) && Number(text) !== 0) {
    const n = text.trim();
    fail('bad-unit', `${what}: '${shown(n)}' needs a unit (ms, s or m), e.g. ${n}ms or ${n}s`);
  }
  return parseWithUnits(what, text, DURATION_UNITS, 'duration', '300ms, 2s, 10m');
}

/** A short human form of a byte rate, e.g. '1 Gbit/s'. */
export function formatRate(bytesPerS: number): string {
  const bits = bytesPerS * 8;
  for (const [unit, f] of [['Tbit/s', 1e12], ['Gbit/s', 1e9], ['Mbit/s', 1e6], ['kbit/s', 1e3]] as const) {
    if (bits >= f) return `${+(bits / f).toPrecision(4)} ${unit}`;
  }
  return `${+bits.toPrecision(4)} bit/s`;
}
