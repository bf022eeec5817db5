/**
 * The one seeded random generator of lib/ml: xoshiro128** (Blackman and Vigna, 2018), a 32-bit
 * generator with 128 bits of state and period 2^128 - 1, seeded through splitmix32 so that any 32-bit
 * seed (even 0) gives a well-mixed state. Every random choice in the forest, the splits and the search
 * draws from a generator passed in explicitly, so a seed reproduces every result.
 *
 * `createRng` is deliberately self-contained (it references no other binding of this module): the
 * forest ships its source text to Web Workers, which must work even when the program is bundled.
 *
 * @module
 */

/** A seeded source of random numbers. */
export interface Rng {
  /** The next raw 32-bit output, an integer in 0..2^32-1. */
  nextU32(): number;
  /** A float in [0, 1) with 53 random bits. */
  next(): number;
  /** An integer in 0..n-1 (n >= 1). */
  int(n: number): number;
}

/**
 * Create a generator from a 32-bit seed, or from an explicit 4-word xoshiro128** state (for known-answer
 * tests against the reference implementation; the state must not be all zero).
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng.int(6); // the same number on every run
 * ```
 */
export function createRng(seed: number | readonly [number, number, number, number]): Rng {
  let s0: number, s1: number, s2: number, s3: number;
  if (typeof seed === "number") {
    // splitmix32: spreads a small or zero seed over all 128 bits of state.
    let x = seed | 0;
    const mix = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    s0 = mix();
    s1 = mix();
    s2 = mix();
    s3 = mix();
  } else {
    [s0, s1, s2, s3] = [seed[0] | 0, seed[1] | 0, seed[2] | 0, seed[3] | 0];
  }
  if ((s0 | s1 | s2 | s3) === 0) s3 = 1; // the all-zero state is a fixed point

  const nextU32 = (): number => {
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result >>> 0;
  };
  const next = (): number => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992;
  return { nextU32, next, int: (n: number): number => Math.floor(next() * n) };
}
