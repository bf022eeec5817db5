/**
 * Kept only so that lib/host/topology.ts, which imports `NO_TOPOLOGY` from here, keeps compiling until
 * it imports it from lib/types.ts. Training itself is lib/ml/train.ts (pure) and lib/modes/train.ts
 * (the conductor). Delete this file once nothing imports it.
 *
 * @module
 */

export { NO_TOPOLOGY } from "../types.ts";
