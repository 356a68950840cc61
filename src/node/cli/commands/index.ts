/** Every CLI command, in the order `dtlens --help` lists them. Each entry adds one subcommand. */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
