/**
 * One game, one name: the key under which collection, storage, show-best, training and profiles match
 * a game. A Wine game is seen as `Game.exe` (argv0), `game.exe` (comm) or `Game` (`--game Game`); all of
 * them are the same game. The display name is kept as found; only matching and grouping use the key.
 *
 * @module
 */

/** A trailing ".exe", any case: Wine's program names. */
const EXE_SUFFIX = /\.exe$/i;

/**
 * The key a game name is matched and grouped by: Unicode NFC, surrounding white space removed, a
 * trailing ".exe" (any case) removed (and the white space before it), then lower case. Two names are the same game exactly when their
 * keys are equal. The key of a name that is only ".exe" (or empty) is "".
 *
 * @example
 * ```ts
 * gameKey("Cyberpunk2077.exe"); // "cyberpunk2077"
 * gameKey(" Cyberpunk2077.EXE "); // "cyberpunk2077"
 * gameKey("Half-Life 2"); // "half-life 2"
 * ```
 */
export function gameKey(name: string): string {
  return name.normalize("NFC").trim().replace(EXE_SUFFIX, "").trimEnd().toLowerCase();
}

/**
 * True when `a` and `b` name the same game (equal {@link gameKey}s).
 *
 * @example
 * ```ts
 * sameGame("game.exe", "Game"); // true
 * ```
 */
export function sameGame(a: string, b: string): boolean {
  return gameKey(a) === gameKey(b);
}
