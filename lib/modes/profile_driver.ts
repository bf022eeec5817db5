/**
 * `--ml-profiles`: per-game profiles applied live. When the session detects a game that has a profile
 * on this CPU model (saved by training, see lib/store/profile.ts), its config is applied to the running
 * scheduler at once, with one line naming the game and the flags; when the game exits the scheduler
 * returns to the base config (the defaults, `--config FILE`, or the flags given). A game with no profile
 * yet starts from the profile of the most similar known game on this CPU (by the workload the forest
 * uses: its threads per class, thread count, CPU use), and the line says which game it borrowed from.
 *
 * The profiles come in through a small port, so the driver is tested without files.
 *
 * @module
 */

import { configToArgs, type SchedConfig } from "../config.ts";
import { sameGame } from "../game_key.ts";
import { printable } from "../host/terminal.ts";
import { mostSimilarProfile } from "../ml/similar.ts";
import type { GameInfo, GameProfile, ThreadCounts } from "../types.ts";
import type { ConfigDriver, DriverStep } from "./session.ts";

/** Where the driver finds profiles (lib/store/profile.ts in the product). */
export interface ProfileSource {
  /** The game's own profile on this CPU model, or null. */
  load(game: string): GameProfile | null;
  /** Every profile on this CPU model (to borrow from). */
  list(): GameProfile[];
}

/** Options of {@link ProfileDriver}. */
export interface ProfileDriverOptions {
  profiles: ProfileSource;
  /** The config outside games: defaults, `--config FILE`, or the flags given. */
  base: SchedConfig;
  /** A game's workload by the training columns (lib/store/columns.ts detectionWorkload). */
  workloadOf: (game: GameInfo, counts: ThreadCounts) => Record<string, number>;
  log: (line: string) => void;
  /**
   * The `--game` name: its profile applies from the start, before the game is even running (a launch
   * announced ahead, a benchmark), and stays while it runs. Default none.
   */
  forcedGame?: string | null;
}

/** What the driver applied for the current game. */
export interface AppliedProfile {
  game: string;
  /** The profile's own game: the same game, or the one borrowed from. */
  from: string;
  borrowed: boolean;
  config: SchedConfig;
}

/** Applies a game's profile when it starts and the base config when it stops (see the module doc). */
export class ProfileDriver implements ConfigDriver {
  readonly #o: ProfileDriverOptions;
  #applied: AppliedProfile | null = null;

  constructor(options: ProfileDriverOptions) {
    this.#o = options;
  }

  /** The profile applied now, or null (the base config runs). */
  get applied(): AppliedProfile | null {
    return this.#applied;
  }

  start(): DriverStep {
    const forced = this.#o.forcedGame ?? null;
    const own = forced === null ? null : this.#o.profiles.load(forced);
    if (forced === null || own === null) return { apply: this.#o.base, recording: true };
    this.#applied = { game: forced, from: own.game, borrowed: false, config: own.config };
    this.#o.log(
      `scx_gamer: profile of "${printable(forced)}" applied: ${configToArgs(own.config).join(" ")}`,
    );
    return { apply: own.config, recording: true };
  }

  dueMs(): number {
    return Infinity;
  }

  tick(): DriverStep {
    return { recording: true };
  }

  onGame(game: GameInfo | null, _nowMs: number, counts: ThreadCounts | null = null): DriverStep | null {
    if (game === null) {
      if (this.#applied === null) return null;
      this.#o.log(
        `scx_gamer: "${printable(this.#applied.game)}" exited: back to ${
          configToArgs(this.#o.base).join(" ")
        }`,
      );
      this.#applied = null;
      return { apply: this.#o.base, recording: true };
    }
    // Already applied from the start (--game): nothing to say again. `--game game.exe` and the detected
    // `game` are one game (lib/game_key.ts); matched by name, its profile was applied a second time.
    if (this.#applied !== null && !this.#applied.borrowed && sameGame(this.#applied.game, game.name)) {
      return null;
    }
    const chosen = this.#choose(game, counts);
    if (chosen === null) {
      this.#o.log(
        `scx_gamer: no profile for "${
          printable(game.name)
        }" or a game like it on this CPU: running the base config`,
      );
      if (this.#applied === null) return null;
      this.#applied = null;
      return { apply: this.#o.base, recording: true };
    }
    this.#applied = chosen;
    const flags = configToArgs(chosen.config).join(" ");
    this.#o.log(
      chosen.borrowed
        ? `scx_gamer: "${printable(game.name)}" has no profile yet: borrowed the profile of "${
          printable(chosen.from)
        }" (most similar workload): ${flags}`
        : `scx_gamer: profile of "${printable(game.name)}" applied: ${flags}`,
    );
    return { apply: chosen.config, recording: true };
  }

  status(): string {
    const a = this.#applied;
    if (a === null) return "profile: none (base config)";
    return a.borrowed ? `profile: borrowed from "${printable(a.from)}"` : `profile: "${printable(a.from)}"`;
  }

  #choose(game: GameInfo, counts: ThreadCounts | null): AppliedProfile | null {
    const own = this.#o.profiles.load(game.name);
    if (own !== null) return { game: game.name, from: own.game, borrowed: false, config: own.config };
    if (counts === null) return null;
    const near = mostSimilarProfile(this.#o.workloadOf(game, counts), this.#o.profiles.list());
    if (near === null) return null;
    return { game: game.name, from: near.profile.game, borrowed: true, config: near.profile.config };
  }
}
