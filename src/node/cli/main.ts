/** The `dtlens` command line: each command lives in `commands/` and registers itself on the program. */
import { Command } from 'commander';
import { commands } from './commands/index.ts';

const program = new Command()
  .name('dtlens')
  .description('Mechanistic interpretability workbench for Decision Transformers trained on MiniGrid')
  .showHelpAfterError();
for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`dtlens: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
