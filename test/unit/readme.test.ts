/**
 * Every code snippet of the README runs as written: the `npx dtlens` lines in order (each reads what
 * an earlier one wrote) in a scratch folder that sees the repository's `models/`, the TypeScript
 * library snippet after them, and every `npm` line names a script package.json has.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
/** tsx's ESM loader, by absolute URL (the snippet runs outside the repository). */
const tsxPackage = createRequire(join(repo, 'package.json')).resolve('tsx/package.json');
const tsxLoader = pathToFileURL(
  join(
    dirname(tsxPackage),
    (JSON.parse(readFileSync(tsxPackage, 'utf8')) as { exports: { '.': string } }).exports['.'],
  ),
).href;

/** Fenced blocks with their language. */
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
/** Shell commands (backslash continuations joined, comments dropped). */
const shellLines = blocks
  .filter((b) => b.lang === 'sh')
  .flatMap((b) => b.code.replace(/\\\n\s*/g, '').split('\n'))
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter(Boolean);

describe('README snippets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtlens-readme-'));
  symlinkSync(join(repo, 'models'), join(dir, 'models'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has only dtlens and npm commands in its shell snippets, and npm ones name real scripts', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: object }).scripts,
    );
    for (const line of shellLines) {
      expect(line, line).toMatch(/^(npx dtlens|npm )/);
      for (const part of line
        .split('&&')
        .map((p) => p.trim())
        .filter((p) => p.startsWith('npm '))) {
        const [, verb, name] = part.split(/\s+/);
        if (verb === 'run') expect(scripts, part).toContain(name);
        else expect(['install', 'start', 'test'], part).toContain(verb);
      }
    }
  });

  it('runs every dtlens command in order, each reading what the one before wrote', () => {
    const commands = shellLines.filter((l) => l.startsWith('npx dtlens'));
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const line of commands) {
      const r = spawnSync(
        'bash',
        ['-c', line.replace(/^npx dtlens/, `node ${join(repo, 'bin/dtlens.js')}`)],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      expect(r.stderr, line).toBe('');
      expect(r.status, line).toBe(0);
    }
    for (const out of ['window.safetensors', 'out.safetensors', 'lens.svg', 'report.html', 'grid.svg'])
      expect(existsSync(join(dir, out)), out).toBe(true);
  }, 300_000);

  it('runs the library snippet (after the commands, on the window they wrote)', () => {
    const ts = blocks.filter((b) => b.lang === 'ts');
    expect(ts.length).toBe(1);
    const file = join(dir, 'snippet.ts');
    writeFileSync(file, ts[0].code.replace(/from '\.\/src\//g, `from '${repo}/src/`));
    const out = execFileSync(process.execPath, ['--import', tsxLoader, file], { cwd: dir, encoding: 'utf8' });
    // action predictions [1, 9, 7] and the residual stream components of a 2-layer model
    expect(out).toContain('[ 1, 9, 7 ]');
    expect(out).toMatch(/embed.*pos_embed.*0_attn_out.*0_mlp_out.*1_attn_out.*1_mlp_out/s);
  });
});
