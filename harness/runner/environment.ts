import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import type { Environment } from '../model/results.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;

export function environment(): Environment {
  return {
    platform: process.platform,
    osRelease: release(),
    arch: process.arch,
    node: process.version,
    netconform: VERSION,
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    hostname: hostname(),
  };
}
