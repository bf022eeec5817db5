/**
 * The per-game samples file: its schema, how it is checked when read, and how it is written.
 *
 * A file looks like this (one sample per line, so appending shows as added lines in a git diff):
 * ```json
 * {
 *   "schema": "scx_gamer.samples",
 *   "version": 1,
 *   "game_name": "Cyberpunk2077",
 *   "cpu_model": "AMD Ryzen 7 7800X3D 8-Core Processor",
 *   "best_score": 131.2,
 *   "best_config": {"slice_us":10, ...},
 *   "updated_at": "2025-11-25T13:54:00.000Z",
 *   "samples": [
 *     {"timestamp":1764078840.5, ...}
 *   ]
 * }
 * ```
 *
 * @module
 */

import {
  type SchedConfig,
  tunableMayBeAbsent,
  tunableRangeText,
  TUNABLES,
  tunableValueProblem,
} from "../config.ts";
import { HOT_PATHS, type Sample, THREAD_CLASSES } from "../types.ts";
import { printable } from "../host/terminal.ts";

/** The schema tag every samples file carries. */
export const STORE_SCHEMA = "scx_gamer.samples";
/** The version this code writes and reads. */
export const STORE_VERSION = 1;

/** The content of one samples file. */
export interface StoreDoc {
  schema: typeof STORE_SCHEMA;
  version: typeof STORE_VERSION;
  game_name: string;
  cpu_model: string;
  samples: Sample[];
  /** The config of the best-scoring sample, or null with no samples. */
  best_config: SchedConfig | null;
  best_score: number | null;
  /** ISO time of the last save. */
  updated_at: string;
}

/** A samples file that is not valid JSON or not ours. `message` is the one line to print. */
export class CorruptStoreError extends Error {
  override name = "CorruptStoreError";
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Check `obj[key]` is a finite number; returns the problem or null. */
function needNumber(obj: Json, key: string, where: string): string | null {
  return isFiniteNumber(obj[key])
    ? null
    : `${where}.${key} is ${JSON.stringify(obj[key]) ?? "missing"}, expected a finite number`;
}

function needObject(obj: Json, key: string, where: string): string | null {
  return isObject(obj[key]) ? null : `${where}.${key} is missing or not an object`;
}

function needString(obj: Json, key: string, where: string): string | null {
  return typeof obj[key] === "string" ? null : `${where}.${key} is missing or not text`;
}

/** The first problem the checks find, or null. */
function firstProblem(...checks: (() => string | null)[]): string | null {
  for (const check of checks) {
    const problem = check();
    if (problem !== null) return problem;
  }
  return null;
}

/** `obj[key]` must be a finite number or null (absent counts as null: a file older than the field). */
function needNumberOrNull(obj: Json, key: string, where: string): string | null {
  const v = obj[key];
  return v === undefined || v === null || isFiniteNumber(v)
    ? null
    : `${where}.${key} is ${typeof v === "number" ? v : JSON.stringify(v)}, expected a finite number or null`;
}

/**
 * A stored config must be one the scheduler accepts: every tunable present (but those a later policy
 * added) and valid by the tunables table's one check (a hand-edited `-5` or `1e21` would otherwise reach
 * show-best's command line).
 */
function configProblem(config: Json, where: string, policy: number): string | null {
  for (const t of TUNABLES) {
    if (!(t.key in config)) {
      if (tunableMayBeAbsent(t, policy)) continue;
      return `${where}.${t.key} is missing, expected ${tunableRangeText(t)}`;
    }
    const problem = tunableValueProblem(t, config[t.key], `${where}.${t.key}`);
    if (problem !== null) return problem;
  }
  return null;
}

const METRIC_KEYS = [
  "interval_s",
  "enqueues_per_sec",
  "dispatches_per_sec",
  "migration_block_rate",
  "mm_hint_hit_rate",
  "direct_dispatch_rate",
  "cpu_util_pct",
  "preempt_kicks_per_sec",
  "input_events_per_sec",
];

function metricsProblem(m: Json, w: string): string | null {
  const plain = firstProblem(
    ...METRIC_KEYS.map((k) => () => needNumber(m, k, w)),
    () => needObject(m, "latency", w),
  );
  if (plain !== null) return plain;
  const latency = m.latency as Json;
  for (const path of HOT_PATHS) {
    const problem = needObject(latency, path, `${w}.latency`) ??
      firstProblem(
        ...["avg_ns", "p50_ns", "p99_ns", "p999_ns", "count"].map((k) => () =>
          needNumber(latency[path] as Json, k, `${w}.latency.${path}`)
        ),
      );
    if (problem !== null) return problem;
  }
  // Absent in samples stored before the kernel measured smoothness.
  return m.smooth === undefined || m.smooth === null ? null : smoothProblem(m.smooth, `${w}.smooth`);
}

function numbersProblem(obj: Json, keys: readonly string[], where: string): string | null {
  return firstProblem(...keys.map((k) => () => needNumber(obj, k, where)));
}

const CLASS_LATENCY_KEYS = ["count", "avg_ns", "p50_ns", "p99_ns"];

/**
 * What is wrong with a value that should be a SmoothSummary (lib/types.ts), or null when it is one:
 * every number finite, per-class latencies only under known thread classes, pacing an object or null.
 */
export function smoothProblem(value: unknown, where = "smooth"): string | null {
  if (!isObject(value)) return `${where} is not an object or null`;
  return firstProblem(
    () =>
      numbersProblem(
        value,
        ["interval_s", "policy_version", "wait_ms_per_s", "wait_share_behind_other"],
        where,
      ),
    () =>
      needObject(value, "all", where) ??
        numbersProblem(value.all as Json, CLASS_LATENCY_KEYS, `${where}.all`),
    () => needObject(value, "latency", where),
    () => {
      const latency = value.latency as Json;
      for (const [cls, lat] of Object.entries(latency)) {
        const w = `${where}.latency`;
        if (!(THREAD_CLASSES as readonly string[]).includes(cls)) {
          return `${w} has ${JSON.stringify(cls)}, not a thread class`;
        }
        if (!isObject(lat)) return `${w}.${cls} is not an object`;
        const problem = numbersProblem(lat, CLASS_LATENCY_KEYS, `${w}.${cls}`);
        if (problem !== null) return problem;
      }
      return null;
    },
    () => {
      const pacing = value.pacing;
      if (pacing === null) return null;
      if (!isObject(pacing)) {
        return `${where}.pacing is ${JSON.stringify(pacing) ?? "missing"}, expected an object or null`;
      }
      const late = pacing.late_share;
      if (late !== undefined && !(isFiniteNumber(late) && late >= 0 && late <= 1)) {
        return `${where}.pacing.late_share is ${JSON.stringify(late)}, expected a number in 0..1 or nothing`;
      }
      if (pacing.from !== undefined && !["starts", "wakeups", "stalled"].includes(pacing.from as string)) {
        return `${where}.pacing.from is ${
          JSON.stringify(pacing.from)
        }, expected "starts", "wakeups", "stalled" or nothing`;
      }
      return numbersProblem(pacing, ["count", "mean_ns", "median_ns", "p99_ns", "spread"], `${where}.pacing`);
    },
  );
}

function gameProblem(g: Json, w: string): string | null {
  const appId = g.app_id === null || typeof g.app_id === "string" ? null : `${w}.app_id is not text or null`;
  return firstProblem(
    () => needString(g, "name", w),
    () => needString(g, "source", w),
    () => needNumber(g, "tgid", w),
    () => needNumber(g, "thread_count", w),
    () => needNumber(g, "cpu_pct", w),
    () => appId,
  );
}

/** `policy_version` must be a whole number from 1 on, or absent (a sample of the first policy). */
function policyProblem(value: Json, where: string): string | null {
  const v = value.policy_version;
  return v === undefined || (Number.isSafeInteger(v) && (v as number) >= 1)
    ? null
    : `${where}.policy_version is ${JSON.stringify(v)}, expected a whole number from 1`;
}

/**
 * What is wrong with a value that should be a Sample (the first problem found), or null when it is
 * one. Every number must be finite: JSON cannot hold NaN or Infinity, and a file holding one would not
 * read back. The fields added since the first samples were stored (`policy_version`, `smooth_score`,
 * `metrics.smooth`, tunables of a later policy than the sample's) may be absent; {@link storedSample}
 * fills them in.
 *
 * @example
 * ```ts
 * sampleProblem({ ...sample, score: NaN }); // "sample.score is null, expected a finite number"
 * ```
 */
export function sampleProblem(value: unknown, where = "sample"): string | null {
  if (!isObject(value)) return `${where} is not an object`;
  return firstProblem(
    () => needNumber(value, "timestamp", where),
    () => needString(value, "game_name", where),
    () => needString(value, "cpu_model", where),
    () => needNumber(value, "score", where),
    () => policyProblem(value, where),
    () => needNumberOrNull(value, "smooth_score", where),
    () =>
      needObject(value, "config", where) ??
        configProblem(value.config as Json, `${where}.config`, (value.policy_version as number) ?? 1),
    () => needObject(value, "metrics", where) ?? metricsProblem(value.metrics as Json, `${where}.metrics`),
    () => needObject(value, "threads", where),
    () =>
      firstProblem(
        ...THREAD_CLASSES.map((c) => () => needNumber(value.threads as Json, c, `${where}.threads`)),
      ),
    () => needObject(value, "game", where) ?? gameProblem(value.game as Json, `${where}.game`),
  );
}

/**
 * A checked sample (see {@link sampleProblem}) as this build's Sample: what a file older than a field
 * lacks is filled in as it was then. No policy version means the first policy's; no smoothness means
 * it was not measured; a tunable a later policy added reads at its default.
 */
export function storedSample(value: unknown): Sample {
  const s = value as Sample;
  s.policy_version ??= 1;
  const config = s.config as Record<string, number | boolean>;
  for (const t of TUNABLES) if (!(t.key in config)) config[t.key] = t.default;
  s.smooth_score ??= null;
  s.metrics.smooth ??= null;
  return s;
}

/** The best-scoring sample (the first one on a tie), or null with no samples. */
export function bestSample(samples: readonly Sample[]): Sample | null {
  let best: Sample | null = null;
  for (const s of samples) if (best === null || s.score > best.score) best = s;
  return best;
}

/**
 * Where JSON.parse stopped, without its message: V8 quotes the first bytes of the text in it ("root:x:0:0"
 * of a planted link to /etc/shadow), and those bytes are neither ours to print nor safe for a terminal.
 */
export function jsonErrorWhere(err: unknown): string {
  const at = /at position (\d+)/.exec(err instanceof Error ? err.message : "")?.[1];
  return at === undefined ? "" : ` (stops at character ${at})`;
}

/**
 * Parse and check the text of a samples file. `path` only names the file in the error.
 *
 * @throws {CorruptStoreError} for invalid JSON, another schema or version, or a malformed sample.
 */
export function parseStoreDoc(text: string, path: string): StoreDoc {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptStoreError(`${printable(path)}: not valid JSON${jsonErrorWhere(err)}`);
  }
  if (!isObject(value) || value.schema !== STORE_SCHEMA) {
    throw new CorruptStoreError(
      `${printable(path)}: not a scx_gamer samples file (schema is not "${STORE_SCHEMA}")`,
    );
  }
  if (value.version !== STORE_VERSION) {
    throw new CorruptStoreError(
      `${printable(path)}: samples file version ${
        JSON.stringify(value.version)
      }, this build reads version ${STORE_VERSION}`,
    );
  }
  if (typeof value.game_name !== "string" || typeof value.cpu_model !== "string") {
    throw new CorruptStoreError(`${printable(path)}: game_name or cpu_model is missing or not text`);
  }
  if (!Array.isArray(value.samples)) throw new CorruptStoreError(`${printable(path)}: samples is not a list`);
  for (let i = 0; i < value.samples.length; i++) {
    const problem = sampleProblem(value.samples[i], `samples[${i}]`);
    if (problem !== null) throw new CorruptStoreError(`${printable(path)}: ${printable(problem)}`);
  }
  const samples = (value.samples as unknown[]).map(storedSample);
  const best = bestSample(samples);
  return {
    schema: STORE_SCHEMA,
    version: STORE_VERSION,
    game_name: value.game_name,
    cpu_model: value.cpu_model,
    samples,
    // Recomputed rather than trusted: the samples are the data, the best is derived from them.
    best_config: best?.config ?? null,
    best_score: best?.score ?? null,
    updated_at: typeof value.updated_at === "string" ? value.updated_at : "",
  };
}

/**
 * `base` with the samples of `extra` it does not hold yet, sorted by timestamp (stable). Two samples are
 * the same when their JSON is: a sample written twice (a retried save, a journal read beside the file it
 * was compacted into) counts once. Only samples with equal timestamps are compared as JSON, so merging a
 * journal into a large file costs about the journal's size.
 */
export function mergeSamples(base: readonly Sample[], extra: readonly Sample[]): Sample[] {
  if (extra.length === 0) return [...base];
  const byTime = new Map<number, string[]>();
  const seen = (s: Sample): boolean => {
    const list = byTime.get(s.timestamp);
    if (list === undefined) return false;
    const text = JSON.stringify(s);
    return list.includes(text);
  };
  const remember = (s: Sample) => {
    const list = byTime.get(s.timestamp);
    if (list === undefined) byTime.set(s.timestamp, [JSON.stringify(s)]);
    else list.push(JSON.stringify(s));
  };
  const timestamps = new Set(extra.map((s) => s.timestamp));
  for (const s of base) if (timestamps.has(s.timestamp)) remember(s);
  const added: Sample[] = [];
  for (const s of extra) {
    if (seen(s)) continue;
    remember(s);
    added.push(s);
  }
  if (added.length === 0) return [...base];
  return [...base, ...added].sort((a, b) => a.timestamp - b.timestamp);
}

/** Render a samples file: header fields first, then one sample per line. */
export function formatStoreDoc(doc: StoreDoc): string {
  const head = [
    `  "schema": ${JSON.stringify(doc.schema)}`,
    `  "version": ${doc.version}`,
    `  "game_name": ${JSON.stringify(doc.game_name)}`,
    `  "cpu_model": ${JSON.stringify(doc.cpu_model)}`,
    `  "best_score": ${JSON.stringify(doc.best_score)}`,
    `  "best_config": ${JSON.stringify(doc.best_config)}`,
    `  "updated_at": ${JSON.stringify(doc.updated_at)}`,
  ];
  const samples = doc.samples.length === 0
    ? `  "samples": []`
    : `  "samples": [\n${doc.samples.map((s) => "    " + JSON.stringify(s)).join(",\n")}\n  ]`;
  return `{\n${[...head, samples].join(",\n")}\n}\n`;
}
