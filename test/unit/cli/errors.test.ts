import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';

describe('dtlens CLI', () => {
  it('lists its commands with --help', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of ['info', 'forward', 'env-replay']) expect(r.stdout).toContain(cmd);
  });

  it('reports a missing model file as one clear line and exit code 1', () => {
    const r = runCli(['info', '/nonexistent/model.pt']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      'dtlens: cannot read model file: no such file or directory (/nonexistent/model.pt)',
    );
  });

  it('rejects an unknown weight variant before reading anything', () => {
    const r = runCli(['forward', '--model', 'm.pt', '--input', 'i', '--output', 'o', '--weights', 'folded']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--weights must be one of raw, processed, dti-compat, got 'folded'");
  });
});
