/**
 * A plain-data picture of a MiniGrid environment state: what renderers and scripted experts
 * read. Produced by `MiniGridEnv.snapshot()`; holds no references into the live env.
 */
export interface EnvSnapshot {
  /** Grid size in cells. */
  width: number;
  height: number;
  /**
   * `grid.encode()` as MiniGrid returns it, shape [width][height][3] flattened row-major:
   * cell (x, y) channel c is at `(x * height + y) * 3 + c`; channels are (OBJECT_IDX, COLOR_IDX, STATE).
   */
  grid: Uint8Array;
  /** Agent position (x to the right, y down) and direction (0 east, 1 south, 2 west, 3 north). */
  agentPos: readonly [number, number];
  agentDir: number;
  /** Encoded carried object (OBJECT_IDX, COLOR_IDX, STATE), or null. */
  carrying: readonly [number, number, number] | null;
  /** Side of the agent's square view (7 by default). */
  agentViewSize: number;
  /**
   * World cells the agent currently sees, shape [width][height] flattened as `x * height + y`
   * (1 = visible), exactly the cells MiniGrid's render highlights.
   */
  visible: Uint8Array;
  stepCount: number;
  maxSteps: number;
  mission: string;
}
