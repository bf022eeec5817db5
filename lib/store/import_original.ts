/**
 * Import the original scx_gamer's (and the seed's) JSON sample files into the store, so a user's old
 * data is not lost (suggested flag: `--ml-import DIR`).
 *
 * The original tool wrote one file per game directly in its data folder, `{game}.json`:
 * ```json
 * {"game_name": "game.exe", "best_config": {...}, "best_score": 87.4,
 *  "samples": [{"timestamp": 1735776000,
 *               "config": {"slice_us": 10, ..., "enable_numa": false, "wakeup_timer_us": 500},
 *               "metrics": {"cpu_util_pct": 61.2, "latency_select_cpu_avg_ns": 850, ...,
 *                           "input_handler_count": 2, "gpu_submit_count": 4, ...},
 *               "game": {"tgid": 12345, "name": "game.exe", "is_wine": true, "is_steam": false}}]}
 * ```
 * Its metrics are the 26 CSV columns' (`columns.ts`, ORIGINAL_COLUMNS) under flat keys. What it did
 * not record is filled in and documented here: the CPU model (the caller's, default "unknown"), the
 * interval (0: not recorded), percentiles (the average stands in, count 0), preemption kicks and input
 * events (0), thread classes it did not count (0), the game's thread count and CPU use (0), smoothness
 * (not measured: null). The score is computed from the metrics with `lib/score.ts`, as for the original
 * tool's CSVs; the samples are of policy version 1, the original's.
 *
 * @module
 */

import * as fs from "node:fs";
import { join } from "node:path";
import { type SchedConfig, tunableMayBeAbsent, TUNABLES } from "../config.ts";
import { score } from "../score.ts";
import { emptyThreadCounts, HOT_PATHS, type LatencySummary, type Sample } from "../types.ts";
import { InputFileError, osReason, readInputFile } from "../host/safe_fs.ts";
import { printable } from "../host/terminal.ts";
import { GameStore, type GameStoreOptions } from "./game_store.ts";

/** The original files cannot be imported at all. `message` is the one line to print. */
export class ImportError extends Error {
  override name = "ImportError";
}

/** Options of {@link importOriginalSamples}. */
export interface ImportOptions {
  /** The CPU model the samples were taken on (the original did not record it). Default "unknown". */
  cpuModel?: string;
  /** Where a skipped file's warning goes. Default `console.error`. */
  log?: (line: string) => void;
  /** Passed to each game's store (owner, env). */
  store?: Pick<GameStoreOptions, "owner" | "env">;
}

/** What an import did, per game file. */
export interface ImportResult {
  games: { game_name: string; imported: number; alreadyThere: number; path: string }[];
  /** Files skipped (not in the original layout, unreadable): already passed to `log`. */
  skipped: string[];
}

/** Largest original file read (its files were rewritten whole, so they stayed small). */
const MAX_ORIGINAL_BYTES = 256 * 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The original's flat metric keys, by our hot path. */
const LATENCY_KEYS: Record<typeof HOT_PATHS[number], string> = {
  select_cpu: "latency_select_cpu_avg_ns",
  enqueue: "latency_enqueue_avg_ns",
  dispatch: "latency_dispatch_avg_ns",
  deadline: "latency_deadline_avg_ns",
};

const PLAIN_KEYS = [
  "cpu_util_pct",
  "enqueues_per_sec",
  "dispatches_per_sec",
  "migration_block_rate",
  "mm_hint_hit_rate",
  "direct_dispatch_rate",
  "input_handler_count",
  "gpu_submit_count",
  "compositor_count",
  "network_count",
] as const;

/** Is this parsed JSON an original samples file? */
export function isOriginalSamplesDoc(value: unknown): boolean {
  if (!isObject(value) || typeof value.game_name !== "string" || !Array.isArray(value.samples)) return false;
  if ("schema" in value) return false; // ours
  const first = value.samples[0];
  return first === undefined ||
    (isObject(first) && isObject(first.metrics) && "latency_select_cpu_avg_ns" in first.metrics);
}

/**
 * One original sample as ours, or the reason it cannot be.
 *
 * @example
 * ```ts
 * const s = convertOriginalSample(doc.samples[0], doc.game_name, "AMD Ryzen 7 7800X3D 8-Core Processor");
 * ```
 */
export function convertOriginalSample(value: unknown, gameName: string, cpuModel: string): Sample | string {
  if (!isObject(value) || !finite(value.timestamp)) return "timestamp is missing or not a number";
  const c = value.config, m = value.metrics, g = value.game;
  if (!isObject(c) || !isObject(m)) return "config or metrics is missing";
  const config = {} as Record<string, number | boolean>;
  for (const t of TUNABLES) {
    // A tunable the original tool (policy 1) did not have ran at its default there.
    const v = c[t.key] === undefined && tunableMayBeAbsent(t, 1) ? t.default : c[t.key];
    if (t.kind === "switch" ? typeof v !== "boolean" : !finite(v)) {
      return `config.${t.key} is missing or of the wrong type`;
    }
    config[t.key] = v as number | boolean;
  }
  for (const key of [...Object.values(LATENCY_KEYS), ...PLAIN_KEYS]) {
    if (!finite(m[key])) return `metrics.${key} is missing or not a number`;
  }
  const n = (key: string) => m[key] as number;
  const latency = Object.fromEntries(HOT_PATHS.map((path): [string, LatencySummary] => {
    const avg = n(LATENCY_KEYS[path]);
    return [path, { avg_ns: avg, p50_ns: avg, p99_ns: avg, p999_ns: avg, count: 0 }];
  })) as Record<typeof HOT_PATHS[number], LatencySummary>;
  const name = isObject(g) && typeof g.name === "string" && g.name !== "" ? g.name : gameName;
  const metrics = {
    interval_s: 0,
    latency,
    enqueues_per_sec: n("enqueues_per_sec"),
    dispatches_per_sec: n("dispatches_per_sec"),
    migration_block_rate: n("migration_block_rate"),
    mm_hint_hit_rate: n("mm_hint_hit_rate"),
    direct_dispatch_rate: n("direct_dispatch_rate"),
    cpu_util_pct: n("cpu_util_pct"),
    preempt_kicks_per_sec: 0,
    input_events_per_sec: 0,
    smooth: null,
  };
  const threads = {
    ...emptyThreadCounts(),
    input: n("input_handler_count"),
    gpu_submit: n("gpu_submit_count"),
    compositor: n("compositor_count"),
    network: n("network_count"),
  };
  return {
    timestamp: value.timestamp,
    game_name: name,
    cpu_model: cpuModel,
    config: config as unknown as SchedConfig,
    metrics,
    threads,
    game: {
      name,
      tgid: isObject(g) && finite(g.tgid) ? g.tgid : 0,
      app_id: null,
      source: isObject(g) && g.is_wine === true
        ? "wine"
        : isObject(g) && g.is_steam === true
        ? "steam"
        : "forced",
      thread_count: 0,
      cpu_pct: 0,
    },
    policy_version: 1,
    score: score({
      select_cpu_latency_ns: latency.select_cpu.avg_ns,
      mm_hint_hit_rate: metrics.mm_hint_hit_rate,
      direct_dispatch_rate: metrics.direct_dispatch_rate,
      migration_block_rate: metrics.migration_block_rate,
    }),
    smooth_score: null,
  };
}

/**
 * Import every original samples file (`*.json` directly in `dir`) into the store at `mlDir`. Each
 * sample goes to its game's file under the CPU model given; a sample already there (an import run
 * twice) is not added again. Files that are not in the original layout are skipped with a warning.
 *
 * @throws {ImportError} when `dir` cannot be listed or holds no original samples file.
 *
 * @example
 * ```ts
 * const result = importOriginalSamples("/home/u/scx_gamer/ml_data", "./ml_data", { cpuModel });
 * ```
 */
export function importOriginalSamples(dir: string, mlDir: string, options: ImportOptions = {}): ImportResult {
  const log = options.log ?? ((line: string) => console.error(line));
  const cpuModel = options.cpuModel ?? "unknown";
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(".json") && !n.startsWith(".")).sort();
  } catch (err) {
    throw new ImportError(
      `cannot list ${printable(dir)}: ${osReason(err)}; expected the original tool's data folder`,
    );
  }
  const byGame = new Map<string, Sample[]>();
  const skipped: string[] = [];
  const skip = (line: string) => {
    skipped.push(line);
    log(line);
  };
  for (const name of names) {
    const path = join(dir, name);
    let doc: unknown;
    try {
      doc = JSON.parse(readInputFile(path, { what: "original samples file", maxBytes: MAX_ORIGINAL_BYTES }));
    } catch (err) {
      skip(
        err instanceof InputFileError
          ? `skipping ${err.message}`
          : `skipping ${printable(path)}: not valid JSON`,
      );
      continue;
    }
    if (!isOriginalSamplesDoc(doc)) {
      skip(
        `skipping ${
          printable(path)
        }: not an original scx_gamer samples file (no game_name and samples with flat metrics)`,
      );
      continue;
    }
    const d = doc as { game_name: string; samples: unknown[] };
    for (let i = 0; i < d.samples.length; i++) {
      const s = convertOriginalSample(d.samples[i], d.game_name, cpuModel);
      if (typeof s === "string") {
        skip(`skipping ${printable(path)} samples[${i}]: ${s}`);
        continue;
      }
      const list = byGame.get(s.game_name) ?? [];
      list.push(s);
      byGame.set(s.game_name, list);
    }
  }
  if (byGame.size === 0) {
    throw new ImportError(
      `no original samples under ${printable(dir)}${skipped.length ? ` (${skipped.length} skipped)` : ""}`,
    );
  }
  const games: ImportResult["games"] = [];
  for (const [game, samples] of byGame) {
    const store = GameStore.open(mlDir, {
      ...options.store,
      cpuModel,
      gameName: game,
      autosaveEvery: 1e9,
      log,
    });
    const have = new Set(store.samples.map((s) => JSON.stringify(s)));
    let imported = 0;
    for (const s of samples) {
      if (have.has(JSON.stringify(s))) continue;
      store.add(s);
      imported++;
    }
    store.close();
    games.push({ game_name: game, imported, alreadyThere: samples.length - imported, path: store.path });
  }
  return { games, skipped };
}
