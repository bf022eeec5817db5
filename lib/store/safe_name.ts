/**
 * Safe path components from hostile strings. The CPU model and, above all, the game name come from
 * processes of other users, and the binary runs as root, so a name must never be able to climb out of
 * the data folder, hide itself, or land in another game's file.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Default longest safe name, in bytes (the store adds ".json"; filesystems allow 255). */
export const SAFE_NAME_MAX_BYTES = 80;

/** The name of an empty input. */
export const EMPTY_NAME = "unknown";

/** Hex digits of the hash suffix: 40 bits, so an accidental collision is out of reach. */
const HASH_HEX = 10;

/** What a hashed name ends with. An input that already looks like this is hashed too (see below). */
const HASH_SUFFIX = new RegExp(`-[0-9a-f]{${HASH_HEX}}$`);

/** The store's marker for files it kept aside; a safe name never contains it. */
const ASIDE_MARKER = ".corrupt-";

/** Options of {@link safeName}. */
export interface SafeNameOptions {
  /** Longest result in bytes, hash suffix included. Default 80; at least 16. */
  maxBytes?: number;
  /**
   * Append the hash even when nothing had to change. The store asks for it on a case-insensitive file
   * system for names with capitals, so "Game" and "game" never share one file there.
   */
  forceHash?: boolean;
}

/**
 * The exact input as bytes for hashing. Names read from /proc are well-formed text and hash as UTF-8;
 * a string with a lone surrogate (which UTF-8 cannot hold exactly) hashes as 0xFF + its UTF-16 code
 * units, and 0xFF never occurs in UTF-8, so two different inputs never hash the same bytes.
 */
function exactBytes(input: string): Uint8Array {
  if (input.isWellFormed()) return new TextEncoder().encode(input);
  const units = new Uint16Array(input.length);
  for (let i = 0; i < input.length; i++) units[i] = input.charCodeAt(i);
  const bytes = new Uint8Array(1 + units.byteLength);
  bytes[0] = 0xff;
  bytes.set(new Uint8Array(units.buffer), 1);
  return bytes;
}

/** First hex digits of the SHA-256 of the exact input. */
export function nameHash(input: string): string {
  return createHash("sha256").update(exactBytes(input)).digest("hex").slice(0, HASH_HEX);
}

/**
 * Turn any string into one safe path component.
 *
 * - Only `A-Z a-z 0-9 . _ - + ( )` and space are kept; every other character (separators, control
 *   characters, NUL, non-ASCII) becomes "_".
 * - No leading dot or space, no "..", never the store's ".corrupt-" marker.
 * - At most `maxBytes` bytes.
 * - Distinct inputs never collide: whenever the result differs from the input, "-" and the first 10
 *   hex digits of the input's SHA-256 are appended. An input that is already safe but ends like such
 *   a suffix, or is the literal "unknown", is hashed as well, so no unchanged name can equal a hashed
 *   one or the name of the empty input.
 * - The empty string becomes "unknown".
 *
 * @example
 * ```ts
 * safeName("Cyberpunk 2077"); // "Cyberpunk 2077"
 * safeName("../../etc/passwd"); // "_.__._etc_passwd-<10 hex>"
 * ```
 */
export function safeName(input: string, options: SafeNameOptions = {}): string {
  const maxBytes = Math.max(16, options.maxBytes ?? SAFE_NAME_MAX_BYTES);
  if (input === "") return EMPTY_NAME;

  let body = input
    .replace(/[^A-Za-z0-9._+() -]/g, "_")
    // A dot followed by a dot: "a..b" -> "a_.b", so ".." never appears.
    .replace(/\.(?=\.)/g, "_")
    .replace(/^[. ]/, "_")
    .replaceAll(ASIDE_MARKER, "_corrupt-");

  const mustHash = options.forceHash === true || body !== input || body.length > maxBytes ||
    HASH_SUFFIX.test(body) || body === EMPTY_NAME;
  if (!mustHash) return body;

  const suffix = "-" + nameHash(input);
  body = body.slice(0, maxBytes - suffix.length);
  return body + suffix;
}
