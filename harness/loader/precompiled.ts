/**
 * Validators generated at build time, by `schemaKey`: a factory each, so only those a run uses
 * are evaluated. From source this table is empty and ajv.ts compiles every schema; the compiled
 * CLI's bundle replaces this module with the table harness/bin/compile.ts generates
 * (./standalone.ts), for the profile schema and every shipped scenario's with:/expect:.
 */
import type { ValidateFunction } from 'ajv';

export const precompiled: ReadonlyMap<string, () => ValidateFunction> = new Map();
