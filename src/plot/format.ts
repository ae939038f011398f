// Number formatting for chart labels and report tables.

/** x rounded to `digits` significant digits, as a short string ("16.46", "0.9765", "502286"). */
export function sigText(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/** An integer with thin thousands separators ("502 286"). */
export function groupDigits(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '−' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/** Bits per second of a byte rate, in a short unit: "1 Gbit/s", "100 Mbit/s". */
export function rateText(bytesPerS: number): string {
  const bits = bytesPerS * 8;
  for (const [unit, f] of [['Tbit/s', 1e12], ['Gbit/s', 1e9], ['Mbit/s', 1e6], ['kbit/s', 1e3]] as const) {
    if (bits >= f) return `${sigText(bits / f)} ${unit}`;
  }
  return `${sigText(bits)} bit/s`;
}
