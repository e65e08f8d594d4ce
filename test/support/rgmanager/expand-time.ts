/**
 * rgmanager's expand_time() (RGM-3.0.12 resrules.c), as described in the contract reference §1.2, so
 * tests can check what rgmanager makes of an action's `timeout` and `interval` attributes.
 *
 * The C function walks the string in terms: a run of digits (atoi of it, 0 if none — a non-digit then
 * counts as a one-character term) followed by ONE character that picks the unit: end of string or
 * s/S = seconds, m/M = minutes, h/H, d/D, w/W, y/Y; any other character makes that term 0. Terms add up.
 * So `1h30m` = 5400, `20000ms` = 1 200 000 (the m is minutes, the s a zero term), `1.5m` = 300 (the `1`
 * is cancelled by the `.`), `90sec` = 90. Only whole numbers with an optional unit mean what they say.
 */

const UNIT_SECONDS: Record<string, number> = {
  s: 1, S: 1,
  m: 60, M: 60,
  h: 3600, H: 3600,
  d: 86400, D: 86400,
  w: 604800, W: 604800,
  y: 31536000, Y: 31536000,
};

/** C `int` arithmetic (two's complement wrap), as the original accumulates in an int. */
const int32 = (n: number): number => n | 0;

export function expandTime(value: string | null | undefined): number {
  if (value === null || value === undefined || value.length === 0) return 0;
  let total = 0;
  let start = 0;
  while (start < value.length) {
    let len = 0;
    while (start + len < value.length && /[0-9]/.test(value[start + len]!)) len++;
    let term = 0;
    if (len > 0) term = int32(Number.parseInt(value.slice(start, start + len), 10));
    else len = 1;
    const unitChar = value[start + len];
    if (unitChar === undefined) {
      // end of string: seconds
    } else {
      const unit = UNIT_SECONDS[unitChar];
      term = unit === undefined ? 0 : int32(term * unit);
    }
    total = int32(total + term);
    start += len;
  }
  return total;
}

/**
 * True when the text is one whole number with at most one unit letter — the only form whose meaning
 * does not depend on expand_time's quirks (contract §1.2 and §5).
 */
export function isPlainTime(value: string): boolean {
  return /^[0-9]+[smhdwySMHDWY]?$/.test(value);
}
