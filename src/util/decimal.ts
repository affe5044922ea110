/**
 * Exact decimal arithmetic for money: a bigint mantissa and a count of decimal places.
 * "110.00" stays 110, "-1000" cents scaled by "0.01" is exactly -10, and summing many
 * JSON numbers never drifts. Only the final figure becomes a JS number.
 */
export interface Decimal {
  readonly units: bigint;
  readonly places: number;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Parse a numeric string or a finite JSON number; undefined when it is not one. */
export function parseDecimal(v: unknown): Decimal | undefined {
  let text: string;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return undefined;
    text = String(v);
  } else if (typeof v === "string") {
    text = v.trim();
    if (text.length === 0 || text.length > 64) return undefined;
  } else {
    return undefined;
  }
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const [, sign, int, frac = "", exp] = m;
  let units = BigInt(int + frac);
  let places = frac.length;
  const e = exp ? Number(exp) : 0;
  if (Math.abs(e) > 40) return undefined;
  if (e > 0) {
    const shift = Math.min(e, places);
    places -= shift;
    units *= 10n ** BigInt(e - shift);
  } else if (e < 0) {
    places -= e;
  }
  if (sign === "-") units = -units;
  return normalize({ units, places });
}

function normalize(d: Decimal): Decimal {
  let { units, places } = d;
  while (places > 0 && units % 10n === 0n) {
    units /= 10n;
    places--;
  }
  return { units, places };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const places = Math.max(a.places, b.places);
  return [
    a.units * 10n ** BigInt(places - a.places),
    b.units * 10n ** BigInt(places - b.places),
    places,
  ];
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, places] = align(a, b);
  return normalize({ units: x + y, places });
}

export function sub(a: Decimal, b: Decimal): Decimal {
  return add(a, negate(b));
}

export function negate(a: Decimal): Decimal {
  return { units: -a.units, places: a.places };
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return normalize({ units: a.units * b.units, places: a.places + b.places });
}

/**
 * a / b rounded half away from zero to `places` decimal places (exact whenever the quotient
 * has at most that many); undefined when b is zero.
 */
export function div(a: Decimal, b: Decimal, places: number): Decimal | undefined {
  if (b.units === 0n) return undefined;
  let num = a.units * 10n ** BigInt(b.places + places);
  let den = b.units * 10n ** BigInt(a.places);
  if (den < 0n) [num, den] = [-num, -den];
  let q = num / den;
  const r = num % den;
  if (2n * (r < 0n ? -r : r) >= den) q += num < 0n ? -1n : 1n;
  return normalize({ units: q, places });
}

export function compare(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const ZERO: Decimal = { units: 0n, places: 0 };

export function toString(d: Decimal): string {
  const neg = d.units < 0n;
  let digits = (neg ? -d.units : d.units).toString();
  if (d.places > 0) {
    digits = digits.padStart(d.places + 1, "0");
    digits = `${digits.slice(0, -d.places)}.${digits.slice(-d.places)}`;
  }
  return neg && d.units !== 0n ? `-${digits}` : digits;
}

/** The nearest JS number to the exact value (never -0). */
export function toNumber(d: Decimal): number {
  const n = Number(toString(d));
  return Object.is(n, -0) ? 0 : n;
}
