/**
 * The `dtlens` command line: each command lives in `commands/` and registers itself on the program.
 * Every failure ends as one line `dtlens: <what> (<file>)` on stderr with exit code 1; control characters
 * from file contents are escaped.
 */
import { Command } from 'commander';
import { DtlensError, printable } from '../../errors.ts';
import { fsError, isFsError } from '../fsErrors.ts';
import { configureModelLoading } from '../modelFile.ts';
import { commands } from './commands/index.ts';

const program = new Command()
  .name('dtlens')
  .description('Mechanistic interpretability workbench for Decision Transformers trained on MiniGrid')
  .option(
    '--allow-non-finite-weights',
    'load models whose weights hold NaN or Inf (refused by default; their predictions are NaN)',
  )
  .showHelpAfterError()
  .hook('preAction', () => {
    const { allowNonFiniteWeights } = program.opts<{ allowNonFiniteWeights?: boolean }>();
    configureModelLoading({ allowNonFiniteWeights: allowNonFiniteWeights === true });
  });
for (const register of commands) register(program);

/** The one-line message for any error a command throws. */
function errorLine(err: unknown): string {
  if (err instanceof DtlensError) return err.message;
  if (isFsError(err)) return fsError(err, 'access', 'file').message;
  const text = err instanceof Error ? err.message : String(err);
  return `internal error: ${text.split('\n')[0]}`;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`dtlens: ${printable(errorLine(err))}\n`);
  process.exitCode = 1;
}
