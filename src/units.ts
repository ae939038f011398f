// Sizes, rates and durations with units, as the command line accepts them.
import { fail } from './errors.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

// Rates: bits per second for *bit units, bytes per second for B/s units.
const RATE_UNITS: Record<string, number> = {
  '': 1, 'b/s': 1, 'bps': 1 / 8,
  bit: 1 / 8, kbit: 1e3 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8, tbit: 1e12 / 8,
  kbps: 1e3 / 8, mbps: 1e6 / 8, gbps: 1e9 / 8,
  'kb/s': 1e3, 'mb/s': 1e6, 'gb/s': 1e9, 'tb/s': 1e12,
  'kib/s': 1024, 'mib/s': 1024 ** 2, 'gib/s': 1024 ** 3,
};

const DURATION_UNITS: Record<string, number> = { '': 1, us: 1e-6, ms: 1e-3, s: 1, m: 60, min: 60, h: 3600 };

const NUMBER = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z/]*)$/i;

function parseWithUnits(what: string, text: string | number, units: Record<string, number>, example: string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) fail('bad-unit', `${what}: ${text} is not a non-negative number`);
    return text;
  }
  if (/^\s*-/.test(text) && NUMBER.test(text.trim().slice(1))) fail('bad-unit', `${what}: '${text}' is negative (give a value ≥ 0)`);
  const m = NUMBER.exec(String(text).trim());
  // Keys are matched case-insensitively except that 'B' vs 'b' matters for bit units: we spell bits out.
  const unit = m ? m[2]!.toLowerCase() : undefined;
  const factor = unit !== undefined ? units[unit] : undefined;
  if (!m || factor === undefined) fail('bad-unit', `${what}: cannot read '${text}' (expected a number with a unit, e.g. ${example})`);
  const value = Number(m[1]) * factor;
  if (!Number.isFinite(value)) fail('bad-unit', `${what}: '${text}' is out of range`);
  return value;
}

/** Bytes from '4KiB', '1GiB', '10GB', or a plain byte count. */
export function parseSize(what: string, text: string | number): number {
  return parseWithUnits(what, text, SIZE_UNITS, '4KiB, 1GiB, 10GB');
}

/** Bytes per second from '100Mbit', '1Gbit', '10GB/s', or a plain bytes/s count. */
export function parseRate(what: string, text: string | number): number {
  return parseWithUnits(what, text, RATE_UNITS, '100Mbit, 1Gbit, 10GB/s');
}

/**
 * Seconds from '300ms', '2s', '10m'. A bare number in text is refused unless it is 0:
 * '50' could mean 50 ms as easily as 50 s (a JS number is taken as seconds).
 */
export function parseDuration(what: string, text: string | number): number {
  if (typeof text === 'string' && /^\s*[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?\s*$/i.test(text) && Number(text) !== 0) {
    const n = text.trim();
    fail('bad-unit', `${what}: '${n}' needs a unit (ms, s or m), e.g. ${n}ms or ${n}s`);
  }
  return parseWithUnits(what, text, DURATION_UNITS, '300ms, 2s, 10m');
}

/** A short human form of a byte rate, e.g. '1 Gbit/s'. */
export function formatRate(bytesPerS: number): string {
  const bits = bytesPerS * 8;
  for (const [unit, f] of [['Tbit/s', 1e12], ['Gbit/s', 1e9], ['Mbit/s', 1e6], ['kbit/s', 1e3]] as const) {
    if (bits >= f) return `${+(bits / f).toPrecision(4)} ${unit}`;
  }
  return `${+bits.toPrecision(4)} bit/s`;
}
