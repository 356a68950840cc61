#!/usr/bin/env node
// Entry point of the `dtlens` CLI: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/node/cli/main.ts');
