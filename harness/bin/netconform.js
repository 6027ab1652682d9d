#!/usr/bin/env node
// Entry point: TypeScript runs through tsx (no build step), so `npx netconform` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2));
// Let stdout drain, then exit with the run's code (open handles must not keep us alive).
process.stdout.write('', () => process.exit(code));
