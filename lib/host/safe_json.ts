/**
 * JSON text that is safe to show on a terminal. `JSON.stringify` escapes C0 controls but lets C1
 * controls (U+009B is a one-character CSI), DEL and bidirectional overrides through as they are; the
 * lines scx_gamer writes as JSON (`--stats-json`, the control socket's replies) carry names from
 * other users' processes and may well be read on a terminal, so those characters are written as
 * `\uNNNN` escapes too. The value parses back unchanged: only its spelling differs.
 *
 * @module
 */

/** Characters JSON.stringify leaves raw that a terminal or text viewer would act on. */
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `JSON.stringify(value)` on one line ("null" for a value JSON cannot hold), with DEL, C1 controls, bidi controls and line separators
 * escaped as `\uNNNN`.
 *
 * @example
 * ```ts
 * safeJson({ name: "a\u009b2Jb" }); // '{"name":"a\\u009b2Jb"}'
 * JSON.parse(safeJson({ name: "a\u009b2Jb" })).name === "a\u009b2Jb"; // true
 * ```
 */
export function safeJson(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(
    UNSAFE,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}
