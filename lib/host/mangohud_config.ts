/**
 * Where MangoHud writes its frame logs: the `output_folder=` of the player's MangoHud config
 * (`$MANGOHUD_CONFIGFILE`, else `$XDG_CONFIG_HOME/MangoHud/MangoHud.conf`, else
 * `~/.config/MangoHud/MangoHud.conf`; run through sudo, the sudo user's home, from /etc/passwd). MangoHud
 * writes no log without one, so no folder means no logs.
 *
 * @module
 */

import { join } from "node:path";
import { readBounded } from "./proc.ts";

/** Where {@link mangohudLogFolder} reads the environment. */
export interface EnvReader {
  get(key: string): string | undefined;
}

/** Options of {@link mangohudLogFolder}. */
export interface MangoHudConfigOptions {
  env?: EnvReader;
  /** Where /etc/passwd is (tests). Default "/etc". */
  etc?: string;
}

/** A user's home folder from the passwd file, or null. */
function homeOf(user: string, etc: string): string | null {
  const passwd = readBounded(join(etc, "passwd"), 1 << 20) ?? "";
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length >= 7 && f[0] === user && f[5].startsWith("/")) return f[5];
  }
  return null;
}

/** The player's MangoHud config file (see the module doc), or null when no home is known. */
export function mangohudConfigFile(options: MangoHudConfigOptions = {}): string | null {
  const env = options.env ?? Deno.env;
  const explicit = env.get("MANGOHUD_CONFIGFILE");
  if (explicit) return explicit;
  const sudoUser = env.get("SUDO_USER");
  const home = sudoUser ? homeOf(sudoUser, options.etc ?? "/etc") : env.get("HOME") ?? null;
  const configHome = sudoUser ? (home === null ? null : join(home, ".config")) : env.get("XDG_CONFIG_HOME") ||
    (home === null ? null : join(home, ".config"));
  return configHome === null ? null : join(configHome, "MangoHud", "MangoHud.conf");
}

/**
 * MangoHud's log folder from the player's config, or null when the config is missing or names none.
 *
 * @example
 * ```ts
 * mangohudLogFolder(); // "/home/alice/mangohud-logs", from "output_folder=~/mangohud-logs"
 * ```
 */
export function mangohudLogFolder(options: MangoHudConfigOptions = {}): string | null {
  const file = mangohudConfigFile(options);
  if (file === null) return null;
  const text = readBounded(file, 256 * 1024);
  if (text === null) return null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const m = /^output_folder\s*=\s*(.+)$/.exec(line);
    if (!m) continue;
    const folder = m[1].trim();
    if (!folder.startsWith("~")) return folder;
    const env = options.env ?? Deno.env;
    const sudoUser = env.get("SUDO_USER");
    const home = sudoUser ? homeOf(sudoUser, options.etc ?? "/etc") : env.get("HOME") ?? null;
    return home === null ? null : join(home, folder.slice(1));
  }
  return null;
}
