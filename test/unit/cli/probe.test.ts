/** `dtlens probe` end to end on the default MemoryS7 model: JSON and figure, typed one-line errors. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';

const model = resolve('models/MiniGrid-MemoryS7FixedStart-v0.safetensors');
const dir = mkdtempSync(join(tmpdir(), 'dtlens-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const collect = (env: string, out: string) =>
  runCli(['collect', '--env', env, '--one-hot', '--episodes', '30', '--epsilon', '0.2', '--output', out]);

describe('dtlens probe', () => {
  const mem = join(dir, 'mem.safetensors');
  const dyn = join(dir, 'dyn.safetensors');
  it('collects the datasets', () => {
    expect(collect('MiniGrid-MemoryS7FixedStart-v0', mem).status).toBe(0);
    expect(collect('MiniGrid-Dynamic-Obstacles-8x8-v0', dyn).status).toBe(0);
  }, 300_000);

  it('probes hook points and writes the result and the figure', () => {
    const out = join(dir, 'probe.json');
    const r = runCli([
      'probe',
      '--model',
      model,
      '--dataset',
      mem,
      '--hooks',
      'blocks.0.hook_resid_pre,blocks.1.hook_resid_post',
      '--labels',
      'agent_dir,instruction',
      '--output',
      out,
      '--csv',
      join(dir, 'p.csv'),
      '--quiet',
      '--backend',
      'ts',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    const scores = json.runs[0].scores as { hook: string; label: string; accuracy: number }[];
    expect(scores.map((s) => `${s.hook}/${s.label}`)).toEqual([
      'blocks.0.hook_resid_pre/agent_dir',
      'blocks.0.hook_resid_pre/instruction',
      'blocks.1.hook_resid_post/agent_dir',
      'blocks.1.hook_resid_post/instruction',
    ]);
    // The direction the agent faces is in the observation: decodable from the embedding already.
    expect(scores[0].accuracy).toBeGreaterThan(0.9);
    expect(readFileSync(join(dir, 'p.csv'), 'utf8').split('\r\n')[0]).toBe('hook point,series,accuracy');
    // Logistic probes (--method logistic) decode the facing direction from the embedding too.
    const logistic = join(dir, 'logistic.json');
    const l = runCli([
      'probe',
      '--model',
      model,
      '--dataset',
      mem,
      '--hooks',
      'blocks.0.hook_resid_pre',
      '--labels',
      'agent_dir',
      '--method',
      'logistic',
      '--output',
      logistic,
      '--quiet',
      '--backend',
      'ts',
    ]);
    expect(l.status, l.stderr).toBe(0);
    const [ls] = JSON.parse(readFileSync(logistic, 'utf8')).runs[0].scores as { accuracy: number }[];
    expect(ls.accuracy).toBeGreaterThan(0.9);
    expect(
      runCli(['probe', '--model', model, '--dataset', mem, '--method', 'svm', '--output', logistic]).stderr,
    ).toMatch(/--method must be one of lda, logistic/);
  }, 300_000);

  it('steers along a probe direction in closed loop with controls', () => {
    const out = join(dir, 'steer.json');
    const r = runCli([
      'probe',
      '--model',
      model,
      '--dataset',
      mem,
      '--hooks',
      'blocks.1.hook_resid_pre',
      '--labels',
      'instruction',
      '--steer',
      'instruction=key',
      '--rollouts',
      '2',
      '--coefficients',
      '0,3',
      '--output',
      out,
      '--quiet',
      '--backend',
      'ts',
    ]);
    expect(r.stderr).toBe('');
    const json = JSON.parse(readFileSync(out, 'utf8'));
    const labels = json.rollouts.conditions.map((c: { label: string }) => c.label);
    expect(labels).toEqual(['none', 'steer 0', 'random 0', 'flipped 0', 'steer 3', 'random 3', 'flipped 3']);
    // Coefficient 0 is the unsteered run.
    expect(json.rollouts.conditions[1].episodes).toEqual(json.rollouts.conditions[0].episodes);
    expect(r.stdout).toMatch(/steer 3 .*: behaviour (follows|does not follow)/);
    const lone = runCli([
      'probe',
      '--model',
      model,
      '--dataset',
      mem,
      '--rollouts',
      '2',
      '--output',
      out,
      '--quiet',
    ]);
    expect(lone.stderr.trim()).toBe('dtlens: --rollouts needs --steer');
  }, 300_000);

  it('rejects a dataset of another model, a missing hook point and a bad label with one line', () => {
    const base = ['probe', '--model', model, '--output', join(dir, 'x.json'), '--quiet'];
    const other = runCli([...base, '--dataset', dyn]);
    expect(other.status).toBe(1);
    expect(other.stderr.trim()).toBe(
      'dtlens: the dataset was recorded in MiniGrid-Dynamic-Obstacles-8x8-v0, the model plays MiniGrid-MemoryS7FixedStart-v0',
    );
    const hook = runCli([...base, '--dataset', mem, '--hooks', 'blocks.5.hook_resid_post']);
    expect(hook.stderr.trim()).toBe(
      'dtlens: hook point "blocks.5.hook_resid_post" does not exist in this model (see dtlens info)',
    );
    const label = runCli([...base, '--dataset', mem, '--labels', 'colour']);
    expect(label.stderr.trim().split('\n')).toHaveLength(1);
    expect(label.stderr).toContain('unknown label "colour"');
  }, 300_000);
});
