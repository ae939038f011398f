// Sizes, rates, durations and bare numbers (src/units.ts): every accepted spelling with its
// value, and what is refused — ambiguous prefixes, units in another case, hex, empty text —
// with the one-line message that says what is accepted (docs/errors.md, "Values").
import { describe, expect, it } from 'vitest';
import { MigreplayError } from '../src/errors.js';
import { linkFrom } from '../src/cli/replay.js';
import { parseDecimal, parseDuration, parseRate, parseSize } from '../src/units.js';

type Parser = (what: string, text: string | number) => number;

/** The MigreplayError a call throws (fails the test if it returns). */
function refusal(f: () => unknown): MigreplayError {
  try {
    f();
  } catch (e) {
    expect(e, String((e as Error)?.stack ?? e)).toBeInstanceOf(MigreplayError);
    const err = e as MigreplayError;
    expect(err.exitCode).toBe(2);
    expect(err.message).not.toMatch(/[\r\n]/);
    return err;
  }
  throw new Error('expected a refusal, got a value');
}

const M = 1e6;
const Mi = 2 ** 20;

describe('sizes (bytes)', () => {
  const accepted: [string, number][] = [
    ['0', 0], ['4096', 4096], ['512B', 512], ['1.5B', 1.5],
    ['1kB', 1e3], ['1MB', M], ['10GB', 1e10], ['2TB', 2e12],
    ['4KiB', 4096], ['1MiB', Mi], ['1GiB', 2 ** 30], ['8TiB', 8 * 2 ** 40],
    ['256KiB', 262144], ['262144B', 262144], ['64MiB', 64 * Mi], ['0.5GiB', 2 ** 29],
    ['1 MiB', Mi], [' 16MiB ', 16 * Mi], ['1e3B', 1000], ['.5MiB', Mi / 2],
  ];
  for (const [text, value] of accepted) it(`'${text}' is ${value} bytes`, () => expect(parseSize('--mem', text)).toBe(value));

  it('a JS number is bytes', () => expect(parseSize('--mem', 4096)).toBe(4096));

  const ambiguous = ['1M', '64k', '4G', '1m', '1K', '1KB', '1mb', '1mB', '1Mb', '1gb', '1gib', '1GIB', '1kib', '1Mbit', '1Gbit', '1MB/s'];
  for (const text of ambiguous) {
    it(`'${text}' is refused as ambiguous, with the accepted spellings`, () => {
      const e = refusal(() => parseSize('--mem', text));
      expect(e.code).toBe('bad-unit');
      expect(e.message).toBe(`--mem: '${text}' is ambiguous: sizes are B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), spelled exactly so, e.g. 4KiB, 1GiB, 10GB`);
    });
  }

  for (const [text, message] of [
    ['5XB', "--mem: cannot read '5XB' (expected a number with a unit, e.g. 4KiB, 1GiB, 10GB)"],
    ['10Gbitt', "--mem: cannot read '10Gbitt' (expected a number with a unit, e.g. 4KiB, 1GiB, 10GB)"],
    ['', "--mem: cannot read '' (expected a number with a unit, e.g. 4KiB, 1GiB, 10GB)"],
    ['0x10', "--mem: cannot read '0x10' (expected a number with a unit, e.g. 4KiB, 1GiB, 10GB)"],
    ['Infinity', "--mem: cannot read 'Infinity' (expected a number with a unit, e.g. 4KiB, 1GiB, 10GB)"],
    ['-4KiB', "--mem: '-4KiB' is negative (give a value ≥ 0)"],
    ['1e400B', "--mem: '1e400B' is out of range"],
  ] as const) {
    it(`'${text}' is refused: ${message}`, () => expect(refusal(() => parseSize('--mem', text)).message).toBe(message));
  }
});

describe('rates (bytes per second)', () => {
  const bit = (n: number) => n / 8;
  const accepted: [string, number][] = [
    // bits
    ['100Mbit', bit(100 * M)], ['100Mbit/s', bit(100 * M)], ['100Mb', bit(100 * M)], ['100Mb/s', bit(100 * M)],
    ['100Mbps', bit(100 * M)], ['1Gbit', bit(1e9)], ['1Gb', bit(1e9)], ['1Gbps', bit(1e9)], ['10Gbit', bit(1e10)],
    ['2.5Gbit', bit(2.5e9)], ['62.5Mbit', bit(62.5 * M)], ['1Tbit', bit(1e12)], ['64kbit', bit(64e3)], ['64kbps', bit(64e3)],
    ['64kb', bit(64e3)], ['800bit', 100], ['800bps', 100], ['800b/s', 100], ['800bit/s', 100],
    // bytes
    ['10GB/s', 1e10], ['10GBps', 1e10], ['10GB', 1e10], ['100MB/s', 100 * M], ['100MBps', 100 * M], ['100MB', 100 * M],
    ['400MB/s', 400 * M], ['1kB/s', 1e3], ['1TB/s', 1e12], ['50MiB/s', 50 * Mi], ['100MiB/s', 100 * Mi], ['1GiB/s', 2 ** 30],
    ['1KiB/s', 1024], ['1MiBps', Mi], ['1MiB', Mi], ['125000000B/s', 125e6], ['5B', 5],
    // a bare number is bytes/s (QEMU's max-bandwidth)
    ['125000000', 125e6], ['0', 0],
    // what formatRate prints reads back
    ['1 Gbit/s', bit(1e9)], ['100 Mbit/s', bit(100 * M)], ['1.5 kbit/s', bit(1500)],
  ];
  for (const [text, value] of accepted) it(`'${text}' is ${value} B/s`, () => expect(parseRate('--bandwidth', text)).toBe(value));

  it('bits and bytes differ by 8: Mb/s is not MB/s', () => {
    expect(parseRate('--bandwidth', '100MB/s') / parseRate('--bandwidth', '100Mb/s')).toBe(8);
    expect(parseRate('--bandwidth', '100MBps') / parseRate('--bandwidth', '100Mbps')).toBe(8);
  });

  const ambiguous = ['100mb', '100mB', '100mbit', '1gbit', '1GBIT', '100mbps', '100MBPS', '1M', '1G', '1k', '1Kbit', '1KB/s', '1Kbps', '1kib/s', '1Mib/s', '1gb/s'];
  for (const text of ambiguous) {
    it(`'${text}' is refused as ambiguous, with the accepted spellings`, () => {
      const e = refusal(() => parseRate('--bandwidth', text));
      expect(e.code).toBe('bad-unit');
      expect(e.message).toBe(`--bandwidth: '${text}' is ambiguous: rates in bits are bit, kbit, Mbit, Gbit, Tbit or kb, Mb, Gb, Tb (each with or without /s) or bps, kbps, Mbps, Gbps, Tbps; in bytes B/s, kB/s, MB/s, GB/s, TB/s (or MB, MBps) or KiB/s, MiB/s, GiB/s, TiB/s; spelled exactly so, e.g. 100Mbit, 1Gbit, 10GB/s`);
    });
  }

  for (const [text, message] of [
    ['10Gbitt', "--bandwidth: cannot read '10Gbitt' (expected a number with a unit, e.g. 100Mbit, 1Gbit, 10GB/s)"],
    ['-5MB', "--bandwidth: '-5MB' is negative (give a value ≥ 0)"],
    ['-5', "--bandwidth: '-5' is negative (give a value ≥ 0)"],
    ['1e400', "--bandwidth: '1e400' is out of range"],
    ['100b', "--bandwidth: '100b' is ambiguous: rates in bits are bit, kbit, Mbit, Gbit, Tbit or kb, Mb, Gb, Tb (each with or without /s) or bps, kbps, Mbps, Gbps, Tbps; in bytes B/s, kB/s, MB/s, GB/s, TB/s (or MB, MBps) or KiB/s, MiB/s, GiB/s, TiB/s; spelled exactly so, e.g. 100Mbit, 1Gbit, 10GB/s"],
  ] as const) {
    it(`'${text}' is refused: ${message}`, () => expect(refusal(() => parseRate('--bandwidth', text)).message).toBe(message));
  }
});

describe('durations (seconds)', () => {
  const accepted: [string, number][] = [
    ['0', 0], ['0s', 0], ['300ms', 0.3], ['50ms', 0.05], ['0.5ms', 0.0005], ['2s', 2], ['1.5s', 1.5], ['20.000129s', 20.000129],
    ['10m', 600], ['10min', 600], ['24h', 86400], ['1us', 1e-6], ['250µs', 250e-6], ['1e3ms', 1], [' 5s ', 5], ['5 s', 5],
  ];
  for (const [text, value] of accepted) it(`'${text}' is ${value} s`, () => expect(parseDuration('--max-time', text)).toBeCloseTo(value, 15));

  it('a JS number is seconds', () => expect(parseDuration('--max-time', 2.5)).toBe(2.5));

  for (const text of ['1MS', '2S', '1Ms', '10M', '1H', '1US', '1Min']) {
    it(`'${text}' is refused as ambiguous, with the accepted spellings`, () => {
      expect(refusal(() => parseDuration('--max-time', text)).message).toBe(`--max-time: '${text}' is ambiguous: durations are us, ms, s, m (or min), h, spelled exactly so, e.g. 300ms, 2s, 10m`);
    });
  }

  for (const [text, message] of [
    ['600', "--max-time: '600' needs a unit (ms, s or m), e.g. 600ms or 600s"],
    ['5sec', "--max-time: cannot read '5sec' (expected a number with a unit, e.g. 300ms, 2s, 10m)"],
    ['-2s', "--max-time: '-2s' is negative (give a value ≥ 0)"],
    ['0x10s', "--max-time: cannot read '0x10s' (expected a number with a unit, e.g. 300ms, 2s, 10m)"],
  ] as const) {
    it(`'${text}' is refused: ${message}`, () => expect(refusal(() => parseDuration('--max-time', text)).message).toBe(message));
  }
});

describe('bare numbers (parseDecimal)', () => {
  for (const [text, value] of [['0', 0], ['5', 5], ['2.5', 2.5], ['.5', 0.5], ['1e3', 1000], ['1E3', 1000], ['007', 7]] as const) {
    it(`'${text}' is ${value}`, () => expect(parseDecimal('--resume-ms', text)).toBe(value));
  }
  for (const text of ['', ' ', ' 5', '5 ', '0x10', '0X10', '0b11', '0o7', 'Infinity', '-Infinity', 'NaN', '5ms', '1,5', '+5', '1e', '.']) {
    it(`${JSON.stringify(text)} is refused`, () => {
      const e = refusal(() => parseDecimal('--resume-ms', text, 'a number of milliseconds ≥ 0'));
      expect(e.code).toBe('bad-unit');
      expect(e.message).toMatch(/^--resume-ms: /);
    });
  }
  it("'-1' is refused as negative", () => expect(refusal(() => parseDecimal('--resume-ms', '-1')).message).toBe("--resume-ms: '-1' is negative (give a value ≥ 0)"));
  it('JS numbers: finite and ≥ 0', () => {
    expect(parseDecimal('x', 3)).toBe(3);
    refusal(() => parseDecimal('x', Infinity));
    refusal(() => parseDecimal('x', NaN));
    refusal(() => parseDecimal('x', -1));
  });
  it('a huge exponent is out of range', () => expect(refusal(() => parseDecimal('x', '1e400')).message).toBe("x: '1e400' is out of range"));
});

describe('--resume-ms (linkFrom) takes a plain decimal number only', () => {
  const link = (resumeMs: string) => linkFrom({ bandwidth: '1Gbit', start: '0s', 'resume-ms': resumeMs });
  it('5, 2.5 and 0 are read', () => {
    expect(link('5').resumeMs).toBe(5);
    expect(link('2.5').resumeMs).toBe(2.5);
    expect(link('0').resumeMs).toBe(0);
  });
  for (const text of ['', '0x10', ' 5', 'Infinity', 'NaN', '5ms']) {
    it(`${JSON.stringify(text)} is refused with one line`, () => {
      const e = refusal(() => link(text));
      expect(e.code).toBe('bad-unit');
      expect(e.message).toBe(`--resume-ms: '${text}' is not a number of milliseconds ≥ 0`);
    });
  }
});

describe('every unit spelling the documentation and defaults use still reads as before', () => {
  // Collected with grep over README.md, docs/, test/, bench/, scripts/ and the defaults in
  // src/ (option values, algorithm defaults, explorer stops): [parser, text, value].
  const p: Record<string, Parser> = { size: parseSize, rate: parseRate, duration: parseDuration };
  const used: [keyof typeof p, string, number][] = [
    ['size', '4KiB', 4096], ['size', '1GiB', 2 ** 30], ['size', '4GiB', 2 ** 32], ['size', '64MiB', 64 * Mi], ['size', '32MiB', 32 * Mi],
    ['size', '256KiB', 262144], ['size', '8MiB', 8 * Mi], ['size', '16MiB', 16 * Mi], ['size', '256MiB', 256 * Mi], ['size', '1MB', M],
    ['size', '4MiB', 4 * Mi], ['size', '128MiB', 128 * Mi], ['size', '160MiB', 160 * Mi], ['size', '262144B', 262144], ['size', '5MB', 5 * M],
    ['rate', '100Mbit', 12.5 * M], ['rate', '1Gbit', 125 * M], ['rate', '10Gbit', 1.25e9], ['rate', '2Gbit', 250 * M], ['rate', '4Mbit', 0.5 * M],
    ['rate', '10GB/s', 1e10], ['rate', '50MiB/s', 50 * Mi], ['rate', '100MiB/s', 100 * Mi], ['rate', '400MB/s', 400 * M], ['rate', '1000GB/s', 1e12],
    ['rate', '200Mbit', 25 * M], ['rate', '50Mbit', 6.25 * M], ['rate', '10Mbit', 1.25 * M], ['rate', '62.5Mbit', 7.8125 * M], ['rate', '2.5Gbit', 312.5 * M],
    ['rate', '125000000B/s', 125e6], ['rate', '0', 0], ['rate', '5MB', 5 * M],
    ['duration', '50ms', 0.05], ['duration', '300ms', 0.3], ['duration', '1s', 1], ['duration', '20s', 20], ['duration', '60s', 60],
    ['duration', '120s', 120], ['duration', '10m', 600], ['duration', '24h', 86400], ['duration', '1us', 1e-6], ['duration', '0s', 0],
  ];
  for (const [kind, text, value] of used) it(`${kind} '${text}'`, () => expect(p[kind]!('x', text)).toBeCloseTo(value, 9));
});
