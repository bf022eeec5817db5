/**
 * The sampling half of `--ml-collect`: turn one interval's metrics, the config that ran and the game's
 * thread counts into a sample, and hand it to the game's sink. A game that exits closes its sink (the
 * final save); a new game opens a new one. Which game runs is the {@link GameWatch}'s business; when
 * to sample is the session's.
 *
 * It knows no file formats and no BPF: metrics come from a function, sinks from a factory.
 *
 * @module
 */

import type { SchedConfig } from "../config.ts";
import type { GameInfo, Metrics, Sample, ThreadCounts } from "../types.ts";
import { printable } from "../host/terminal.ts";
import { buildSample } from "./sample.ts";

/** Where a game's samples go (lib/store's GameStore in the product). */
export interface SampleSink {
  add(sample: Sample): void;
  /** Wait for saves still being written (an autosave in flight). Optional. */
  flush?(): Promise<void>;
  /** Final save. */
  close(): void;
  /** Samples added that are not yet durable (an append still being written). Optional: none when absent. */
  readonly unsaved?: number;
  /** Where the samples end up, for messages. */
  readonly path: string;
}

/** Options of {@link SampleRecorder}. */
export interface RecorderOptions {
  /** The metrics since the previous call (the caller keeps the snapshots). */
  nextMetrics: () => Metrics;
  /** Open the sink of a game on a CPU model. */
  openSink: (game: GameInfo, cpuModel: string) => SampleSink;
  cpuModel: string;
  /** Where one-line notices go. */
  log: (line: string) => void;
  /** Unix time in seconds. Default Date.now() / 1000. */
  clock?: () => number;
}

/** Samples of the current game, into its sink. */
export class SampleRecorder {
  readonly #o: RecorderOptions;
  #game: GameInfo | null = null;
  #sink: SampleSink | null = null;
  #samples = 0;

  constructor(options: RecorderOptions) {
    this.#o = options;
  }

  /** Samples recorded since the start. */
  get samples(): number {
    return this.#samples;
  }

  /**
   * Samples recorded since the start that are durable on disk: all but the current game's appends still
   * being written. This, not {@link samples}, is what a kill -9 cannot take away.
   */
  get saved(): number {
    return this.#samples - (this.#sink?.unsaved ?? 0);
  }

  /** Where the current game's samples go, or null. */
  get path(): string | null {
    return this.#sink?.path ?? null;
  }

  /** Follow a change of game: close the old game's sink, open the new one's. */
  switchGame(game: GameInfo | null): void {
    if (this.#sink) {
      this.#sink.close();
      this.#o.log(
        `scx_gamer: ${JSON.stringify(this.#game?.name)} exited; samples saved to ${this.#sink.path}`,
      );
    }
    this.#sink = null;
    this.#game = game;
    if (game) {
      this.#sink = this.#o.openSink(game, this.#o.cpuModel);
      this.#o.log(
        `scx_gamer: collecting for ${
          JSON.stringify(game.name)
        } (pid ${game.tgid}, ${game.source}) into ${this.#sink.path}`,
      );
    }
  }

  /** Throw away the metrics of the interval so far (a new config starts a fresh interval). */
  restartInterval(): void {
    this.#o.nextMetrics();
  }

  /**
   * Record one sample of `game` under `config`, from the metrics since the previous call. The interval
   * is always consumed, game or not. Returns the sample, or null when there is no game or the sink
   * failed (reported in one line; the sink keeps what it has and retries at its next save).
   */
  record(game: GameInfo | null, counts: ThreadCounts | null, config: SchedConfig): Sample | null {
    const metrics = this.#o.nextMetrics();
    if (!game || !counts || !this.#sink || game.tgid !== this.#game?.tgid) return null;
    const sample = buildSample({
      timestamp: (this.#o.clock ?? (() => Date.now() / 1000))(),
      cpuModel: this.#o.cpuModel,
      config,
      metrics,
      game,
      threads: counts,
    });
    try {
      this.#sink.add(sample);
      this.#samples++;
      return sample;
    } catch (e) {
      this.#o.log(`scx_gamer: ${printable((e as Error).message)}`);
      return null;
    }
  }

  /**
   * Final save of the current game's samples, after any save still being written (so nothing, not even a
   * lock file, is left half done when the process exits). Safe to call more than once.
   */
  async close(reason: string): Promise<void> {
    if (!this.#sink) return;
    const sink = this.#sink;
    this.#sink = null;
    try {
      await sink.flush?.();
    } catch (e) {
      this.#o.log(`scx_gamer: ${printable((e as Error).message)}`);
    }
    sink.close();
    this.#o.log(`scx_gamer: ${this.#samples} samples saved to ${printable(sink.path)} (${reason})`);
  }
}
