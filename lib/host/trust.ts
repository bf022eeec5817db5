/**
 * Which folders root may write into on someone's behalf. The binary runs as root and writes where the
 * user points it; if any folder on that path can be changed by a third user, she can swap a folder
 * for a symlink between our check and our write (`renameat2(RENAME_EXCHANGE)` in a loop wins that
 * race within seconds) and make root replace or create files anywhere. So before the store, the
 * export, the sweep state or a model writer touches a path, every folder from `/` down to it must be
 * writable only by trusted users: root, the user running us, and the user behind sudo (SUDO_UID).
 *
 * A folder passes when
 * - its owner is trusted (the owner can always chmod it and rename inside it), and
 * - it is not writable by others, unless it has the sticky bit (like `/tmp`: others can add entries but
 *   never rename or remove ours; the next folder down must then itself pass), and
 * - it is not writable by its group, unless it has the sticky bit or the group is trusted: root's group,
 *   or a group of the sudo user (or ours) that no untrusted account belongs to (a user private group,
 *   which makes `umask 002` homes group-writable on many distributions).
 *
 * Symlinks on the way are followed only when a trusted user owns them, and the folders they lead to are
 * checked the same way. Once a whole path passes, nobody but the trusted users can change it, so later
 * path-based calls on it cannot be redirected. ACLs are not read: a folder given to a third user through
 * an ACL alone is not detected.
 *
 * @module
 */

import * as fs from "node:fs";
import { isAbsolute, join } from "node:path";
import { printable } from "./terminal.ts";

/** A path the store refuses to use (a symlink, not a directory, writable by another user ...). */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
}

/** Who may have write access to the folders we write into. */
export interface TrustPolicy {
  /** Users whose ownership of a folder or symlink is fine. */
  uids: ReadonlySet<number>;
  /** Groups whose write access to a folder is fine. */
  gids: ReadonlySet<number>;
  /** uid -> user name, for messages. */
  names: ReadonlyMap<number, string>;
}

/** Where {@link trustFromEnv} reads the environment (`Deno.env` or a test's map). */
export interface EnvLike {
  get(key: string): string | undefined;
}

/** The account databases as text (tests pass their own). */
export interface Accounts {
  /** /etc/passwd */
  passwd: string;
  /** /etc/group */
  group: string;
}

/** Most bytes read of /etc/passwd or /etc/group. */
const ACCOUNTS_MAX_BYTES = 4 * 1024 * 1024;

function readSmall(path: string): string {
  try {
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) return "";
      const buf = new Uint8Array(ACCOUNTS_MAX_BYTES);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      return new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Unreadable: no group is proven private, and names are shown as numbers.
    return "";
  }
}

/** The system's account files. */
export function systemAccounts(): Accounts {
  return { passwd: readSmall("/etc/passwd"), group: readSmall("/etc/group") };
}

interface ParsedAccounts {
  users: { name: string; uid: number; gid: number }[];
  groups: { name: string; gid: number; members: string[] }[];
}

function parseAccounts(accounts: Accounts): ParsedAccounts {
  const users = accounts.passwd.split("\n").map((l) => l.split(":")).filter((f) =>
    f.length >= 4 &&
    /^\d+$/.test(f[2]) && /^\d+$/.test(f[3])
  ).map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }));
  const groups = accounts.group.split("\n").map((l) => l.split(":")).filter((f) =>
    f.length >= 3 &&
    /^\d+$/.test(f[2])
  ).map((f) => ({
    name: f[0],
    gid: Number(f[2]),
    members: (f[3] ?? "").split(",").map((m) => m.trim()).filter((m) => m !== ""),
  }));
  return { users, groups };
}

/**
 * Is `gid` a group only trusted users are in? Every account whose primary group it is, and every listed
 * member, must be trusted; a group missing from /etc/group (NSS, LDAP) is not proven private.
 */
function privateGroup(gid: number, uids: ReadonlySet<number>, parsed: ParsedAccounts): boolean {
  const entry = parsed.groups.find((g) => g.gid === gid);
  if (entry === undefined) return false;
  const trustedNames = new Set(parsed.users.filter((u) => uids.has(u.uid)).map((u) => u.name));
  if (parsed.users.some((u) => u.gid === gid && !uids.has(u.uid))) return false;
  return entry.members.every((m) => trustedNames.has(m));
}

function numericId(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : null;
}

function processIds(): { uid: number; gid: number } {
  try {
    return { uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0 };
  } catch {
    return { uid: 0, gid: 0 };
  }
}

/** Options of {@link trustFromEnv}. */
export interface TrustOptions {
  /** The account files. Default: the system's. */
  accounts?: Accounts;
  /** Our own ids. Default: the process's. */
  self?: { uid: number; gid: number };
}

/**
 * The policy of this process: root, us and SUDO_UID are trusted; root's group always, SUDO_GID and our
 * own group when no untrusted account belongs to them.
 *
 * @example
 * ```ts
 * const policy = trustFromEnv(Deno.env);
 * const dir = checkTrustedPath("./ml_data", policy); // absolute, or throws UnsafePathError
 * ```
 */
export function trustFromEnv(env: EnvLike = Deno.env, options: TrustOptions = {}): TrustPolicy {
  const self = options.self ?? processIds();
  const sudoUid = numericId(env.get("SUDO_UID"));
  const sudoGid = numericId(env.get("SUDO_GID"));
  const uids = new Set([0, self.uid]);
  if (sudoUid !== null) uids.add(sudoUid);
  const parsed = parseAccounts(options.accounts ?? systemAccounts());
  const gids = new Set([0]);
  for (const gid of [self.gid, sudoGid]) {
    if (gid !== null && privateGroup(gid, uids, parsed)) gids.add(gid);
  }
  const names = new Map(parsed.users.map((u) => [u.uid, u.name]));
  return { uids, gids, names };
}

let cached: { key: string; policy: TrustPolicy } | null = null;

/** {@link trustFromEnv} of `Deno.env`, read once per SUDO_UID/SUDO_GID pair. */
export function processTrust(): TrustPolicy {
  const key = `${Deno.env.get("SUDO_UID") ?? ""}:${Deno.env.get("SUDO_GID") ?? ""}`;
  if (cached?.key !== key) cached = { key, policy: trustFromEnv(Deno.env) };
  return cached.policy;
}

function who(uid: number, policy: TrustPolicy): string {
  const name = policy.names.get(uid);
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${printable(name)})`;
}

function trustedList(policy: TrustPolicy): string {
  return [...policy.uids].sort((a, b) => a - b).map((u) => who(u, policy)).join(", ");
}

/**
 * Throw unless `st` (lstat of the folder `dir`) passes the policy (see the module doc).
 *
 * @throws {UnsafePathError} naming the folder, who could change it, and what is expected.
 */
export function checkTrustedDir(dir: string, st: fs.Stats, policy: TrustPolicy): void {
  const shown = printable(dir);
  const expected = `expected a folder only ${trustedList(policy)} can change`;
  if (!policy.uids.has(st.uid)) {
    throw new UnsafePathError(
      `refusing to use ${shown}: it belongs to ${
        who(st.uid, policy)
      }, who could redirect what root writes there; ${expected}`,
    );
  }
  const sticky = (st.mode & 0o1000) !== 0;
  if ((st.mode & 0o002) !== 0 && !sticky) {
    throw new UnsafePathError(
      `refusing to use ${shown}: every user can write it (mode ${
        (st.mode & 0o7777).toString(8)
      }, no sticky bit); ${expected}`,
    );
  }
  if ((st.mode & 0o020) !== 0 && !sticky && !policy.gids.has(st.gid)) {
    throw new UnsafePathError(
      `refusing to use ${shown}: group ${st.gid} can write it and has members other than ${
        trustedList(policy)
      }; ${expected} (chmod g-w)`,
    );
  }
}

/** Most symlinks followed while resolving one path (the kernel's limit). */
const MAX_LINKS = 40;

/**
 * Resolve `path` to an absolute path with no symlinks, checking every folder on the way with
 * {@link checkTrustedDir} and every symlink's owner. The part that does not exist yet is appended as
 * given (it will be created under the last folder that passed). The last component may be a file.
 *
 * @throws {UnsafePathError} for an untrusted folder or symlink, a file where a folder is needed, or
 * too many links.
 */
export function checkTrustedPath(path: string, policy: TrustPolicy): string {
  if (path === "") throw new UnsafePathError("expected a path, got an empty one");
  const start = isAbsolute(path) ? path : join(Deno.cwd(), path);
  let rest = start.split("/").filter((c) => c !== "" && c !== ".");
  let resolved = "/";
  checkTrustedDir("/", fs.lstatSync("/"), policy);
  let links = 0;
  while (rest.length > 0) {
    const [name, ...after] = rest;
    rest = after;
    if (name === "..") {
      resolved = join(resolved, "..");
      continue;
    }
    const next = join(resolved, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(next);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ENOENT") return join(next, ...rest);
      throw new UnsafePathError(`cannot inspect ${printable(next)}: ${(err as Error).message}`);
    }
    if (st.isSymbolicLink()) {
      if (!policy.uids.has(st.uid)) {
        throw new UnsafePathError(
          `refusing to follow ${printable(next)}: the symlink belongs to ${
            who(st.uid, policy)
          }; expected one of ${trustedList(policy)}`,
        );
      }
      if (++links > MAX_LINKS) {
        throw new UnsafePathError(`refusing to use ${printable(path)}: too many symlinks`);
      }
      const target = fs.readlinkSync(next);
      if (isAbsolute(target)) resolved = "/";
      rest = [...target.split("/").filter((c) => c !== "" && c !== "."), ...rest];
      continue;
    }
    if (st.isDirectory()) {
      checkTrustedDir(next, st, policy);
      resolved = next;
      continue;
    }
    if (rest.length === 0) return next;
    throw new UnsafePathError(`refusing to use ${printable(path)}: ${printable(next)} is not a directory`);
  }
  return resolved;
}
