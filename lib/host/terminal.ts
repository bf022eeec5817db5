/**
 * Text made safe to print on a terminal. Names, paths and file snippets reach our messages from other
 * users' processes and from files anyone may have planted, so before a line is printed every
 * character that a terminal or a text viewer would act on is shown as an escape instead:
 * - C0 controls and DEL (ESC starts every escape sequence, BEL ends an OSC title, CR rewrites a line),
 * - C1 controls U+0080-U+009F (U+009B is a one-character CSI that `JSON.stringify` lets through),
 * - bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C), which
 *   reorder what is shown ("Trojan Source"), and the Unicode line and paragraph separators.
 *
 * The one home of this rule: every module that prints a name, a path or a key uses {@link printable}.
 *
 * @module
 */

/** Every character {@link printable} escapes (see the module doc). */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every terminal control character and bidi override shown as an escape: `\xNN` for C0,
 * DEL and C1, `\uNNNN` for the others. Everything else (accents, CJK, emoji) is unchanged.
 *
 * @example
 * ```ts
 * printable("evil\x1b[2Jname"); // "evil\\x1b[2Jname"
 * printable("a\u202egpj.exe"); // "a\\u202egpj.exe"
 * ```
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? "\\x" + code.toString(16).padStart(2, "0")
      : "\\u" + code.toString(16).padStart(4, "0");
  });
}
