/**
 * `dtlens corrupt`: builds a clean/corrupted pair of windows for patching, from one window of an input
 * file and token variations (state edits, RTGs, an action, timesteps), or from two real rollouts of an
 * env (`--env`, `--seeds clean,corrupted`, `--actions`). Writes `clean.*` and `corrupted.*` (`states`,
 * `actions`, `rtgs`, `timesteps`) in the layout of the golden analysis pairs.
 */
import type { Command } from 'commander';
import {
  type StateEdit,
  type Variation,
  type VariationLimits,
  corruptWindow,
  envRolloutWindow,
  sameWindow,
} from '../../../analysis/causal/variations.ts';
import { check } from '../../../errors.ts';
import { pairFile } from '../../../io/pairFile.ts';
import { readSafetensors } from '../../../io/safetensors.ts';
import type { DTInputs } from '../../../model/decisionTransformer.ts';
import { inputsFromTensors, selectWindow } from '../../../model/inputs.ts';
import { createModel } from '../../../model/load.ts';
import { TsGemm } from '../../../tensor/gemmTs.ts';
import { readFileChecked, readModelFile } from '../../modelFile.ts';
import { parseCount, parseCountList, parseNumber } from '../options.ts';
import { writeOutputFile } from '../../fsErrors.ts';

interface CorruptOptions {
  input?: string;
  prefix: string;
  index: string;
  output: string;
  model?: string;
  state: string[];
  allRtg?: string;
  rtg: string[];
  action: string[];
  timestepShift?: string;
  timestep: string[];
  env?: string;
  seeds?: string;
  actions?: string;
  maxLen: string;
  oneHot?: boolean;
  initialRtg: string;
}

/** MiniGrid's 7 actions and DTI's time embedding (1001 rows) when no --model is given. */
const DEFAULT_LIMITS: VariationLimits = { nActions: 7, maxTimestep: 1000 };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** An integer that may be negative (steps count from the end). */
function parseStep(value: string, name: string): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  check(Number.isSafeInteger(n), 'BAD_INPUT', `${name} must be an integer, got '${value}'`);
  return n;
}

/** "step=value" -> [step, value]. */
function parseAssignment(text: string, name: string): [number, string] {
  const m = /^\s*(-?\d+)\s*=\s*(\S+)\s*$/.exec(text);
  check(m !== null, 'BAD_INPUT', `${name} must look like step=value, got '${text}'`);
  return [parseStep(m[1], `${name} step`), m[2]];
}

/** "step,x,y,object[,colour[,state]]" -> a state edit. */
function parseStateEdit(text: string): StateEdit {
  const parts = text.split(',').map((s) => s.trim());
  check(
    parts.length >= 4 && parts.length <= 6,
    'BAD_INPUT',
    `--state must look like step,x,y,object[,colour[,state]] (e.g. 4,2,6,ball), got '${text}'`,
  );
  const [step, x, y, object, color, state] = parts;
  const nameOrIndex = (s: string) => (/^\d+$/.test(s) ? Number(s) : s);
  return {
    step: parseStep(step, '--state step'),
    x: parseCount(x, '--state x'),
    y: parseCount(y, '--state y'),
    object: nameOrIndex(object),
    ...(color !== undefined && { color: nameOrIndex(color) }),
    ...(state !== undefined && { state: nameOrIndex(state) }),
  };
}

/** The variations given on the command line, in a fixed order. */
function variationsOf(o: CorruptOptions): Variation[] {
  const out: Variation[] = [];
  if (o.state.length > 0) out.push({ kind: 'state', edits: o.state.map(parseStateEdit) });
  if (o.allRtg !== undefined) out.push({ kind: 'all-rtg', value: parseNumber(o.allRtg, '--all-rtg') });
  for (const a of o.rtg) {
    const [step, v] = parseAssignment(a, '--rtg');
    out.push({ kind: 'rtg', step, value: parseNumber(v, '--rtg value') });
  }
  for (const a of o.action) {
    const [step, v] = parseAssignment(a, '--action');
    out.push({ kind: 'action', step, action: parseCount(v, '--action value') });
  }
  if (o.timestepShift !== undefined)
    out.push({ kind: 'timestep', shift: parseStep(o.timestepShift, '--timestep-shift') });
  for (const a of o.timestep) {
    const [step, v] = parseAssignment(a, '--timestep');
    out.push({ kind: 'timestep', step, value: parseCount(v, '--timestep value') });
  }
  return out;
}

/** Clean and corrupted windows from two rollouts of `--env`. */
function rolloutPair(o: CorruptOptions): { clean: DTInputs; corrupted: DTInputs } {
  check(o.seeds && o.actions, 'BAD_INPUT', '--env needs --seeds clean,corrupted and --actions a,b,...');
  const seeds = parseCountList(o.seeds, '--seeds');
  check(seeds.length === 2, 'BAD_INPUT', `--seeds needs two seeds (clean,corrupted), got ${seeds.length}`);
  const base = {
    envId: o.env!,
    oneHotObs: o.oneHot ?? false,
    actions: o.actions.trim() === '' ? [] : parseCountList(o.actions, '--actions'),
    maxLen: parseCount(o.maxLen, '--max-len'),
    initialRtg: parseNumber(o.initialRtg, '--initial-rtg'),
  };
  return {
    clean: envRolloutWindow({ ...base, seed: seeds[0] }),
    corrupted: envRolloutWindow({ ...base, seed: seeds[1] }),
  };
}

export function registerCorrupt(program: Command): void {
  program
    .command('corrupt')
    .description('Build a clean/corrupted window pair for patching (token variations or two env rollouts)')
    .option('--input <file>', 'safetensors with <prefix>states/actions/rtgs/timesteps (a window batch)')
    .option('--prefix <p>', 'tensor name prefix in the input file', 'inputs.')
    .option('--index <i>', 'window of the batch to use as the clean window', '0')
    .requiredOption('--output <file>', 'pair safetensors: clean.* and corrupted.*')
    .option(
      '--model <file>',
      'check actions and timesteps against this model (default: 7 actions, t <= 1000)',
    )
    .option(
      '--state <edit>',
      'state edit step,x,y,object[,colour[,state]] (repeatable), e.g. 4,2,6,ball',
      collect,
      [],
    )
    .option('--all-rtg <value>', 'set every RTG token')
    .option('--rtg <step=value>', 'set the RTG of one step (repeatable)', collect, [])
    .option('--action <step=action>', 'set the action token of one step (repeatable)', collect, [])
    .option('--timestep-shift <k>', 'add k to every timestep')
    .option('--timestep <step=value>', 'set the timestep of one step (repeatable)', collect, [])
    .option('--env <id>', 'instead of --input: two rollouts of this env (with --seeds and --actions)')
    .option('--seeds <clean,corrupted>', 'env seeds of the clean and corrupted rollouts')
    .option('--actions <list>', 'actions played from the reset in both rollouts, e.g. 2,2,2,2')
    .option('--max-len <T>', 'timesteps per window (rollouts)', '9')
    .option('--one-hot', 'one-hot observations (rollouts)')
    .option('--initial-rtg <value>', 'initial RTG (rollouts)', '0.9')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  dtlens corrupt --input traj.safetensors --index 4 --state 4,2,6,ball --output pair.safetensors\n' +
        '  dtlens corrupt --input traj.safetensors --index 4 --all-rtg 0 --output pairC.safetensors\n' +
        '  dtlens corrupt --env MiniGrid-MemoryS7FixedStart-v0 --one-hot --seeds 1,0 --actions 2,2,2,2 --output pairA.safetensors',
    )
    .action((o: CorruptOptions) => {
      const variations = variationsOf(o);
      let clean: DTInputs;
      let corrupted: DTInputs;
      let changes: string[];
      if (o.env !== undefined) {
        check(o.input === undefined, 'BAD_INPUT', 'give either --input or --env, not both');
        check(
          variations.length === 0,
          'BAD_INPUT',
          'token variations apply to --input windows, not to --env rollouts',
        );
        ({ clean, corrupted } = rolloutPair(o));
        changes = [`rollouts of ${o.env}, seeds ${o.seeds}`];
      } else {
        check(o.input !== undefined, 'BAD_INPUT', 'give --input (a window file) or --env (two rollouts)');
        const tensors = readSafetensors(readFileChecked(o.input, 'input file')).tensors;
        clean = selectWindow(inputsFromTensors(tensors, o.prefix), parseCount(o.index, '--index'));
        let limits = DEFAULT_LIMITS;
        if (o.model) {
          const model = createModel(readModelFile(o.model), { gemm: new TsGemm() });
          model.toTokens(clean); // the clean window must fit the model
          limits = { nActions: model.arch.nActions, maxTimestep: model.maxTimestep };
        }
        const r = corruptWindow(clean, variations, limits);
        corrupted = r.corrupted;
        changes = r.changes;
      }
      if (sameWindow(clean, corrupted))
        process.stderr.write('warning: clean and corrupted windows are identical\n');
      writeOutputFile(o.output, pairFile(clean, corrupted, { changes: changes.join('; ') }));
      process.stdout.write(`${changes.join('\n')}\nwrote ${o.output}\n`);
    });
}
