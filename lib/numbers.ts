/**
 * The one number grammar of scx_gamer: plain decimal. Flags, grid files, CSV cells, stored configs and
 * model files all read numbers through {@link parseDecimal}, so `0x10`, `0b11`, `1_000`, `Infinity`, an
 * empty string or a value too large to be finite never pass as numbers anywhere (JavaScript's `Number()`
 * accepts the first two and turns `""` into 0).
 *
 * @module
 */

/** Optional sign, digits with an optional fraction (or a leading-dot fraction), optional exponent. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parse a decimal number, or null when `text` is not one or its value is not finite. Surrounding
 * whitespace is not allowed: callers that read padded text trim it themselves, visibly.
 *
 * @example
 * ```ts
 * parseDecimal("2.5e3"); // 2500
 * parseDecimal("0x10"); // null
 * parseDecimal(""); // null
 * parseDecimal("1e400"); // null (not finite)
 * ```
 */
export function parseDecimal(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Parse a whole number in decimal (no fraction after evaluation), or null.
 *
 * @example
 * ```ts
 * parseWholeNumber("42"); // 42
 * parseWholeNumber("4.2"); // null
 * ```
 */
export function parseWholeNumber(text: string): number | null {
  const value = parseDecimal(text);
  return value !== null && Number.isSafeInteger(value) ? value : null;
}
