/**
 * One Ajv instance for the whole process (Spectral-style): strict, allErrors, defaults applied,
 * and compiled validators cached per schema object.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { closest } from '../util/closest.ts';
import { dottedPath, pointerToPath } from './path.ts';
import type { PathSegment } from './yaml-source.ts';

// ajv-formats is CommonJS; under ESM its callable is the default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface SchemaIssue {
  code: string;
  path: PathSegment[];
  /** Point at the key itself rather than its value (unknown keys). */
  atKey: boolean;
  message: string;
}

let ajvInstance: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function ajv(): Ajv {
  if (!ajvInstance) {
    ajvInstance = new Ajv({ strict: true, allErrors: true, useDefaults: true, verbose: true, allowUnionTypes: true });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

export function compile(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv().compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** Validates (applying defaults in place) and returns issues with paths below `base`. */
export function validateWith(schema: object, data: unknown, base: PathSegment[] = []): SchemaIssue[] {
  const fn = compile(schema);
  if (fn(data)) return [];
  return toIssues(fn.errors ?? [], data, base);
}

const COMPARISON: Record<string, string> = { '<=': '≤', '>=': '≥', '<': '<', '>': '>' };

function toIssues(errors: ErrorObject[], data: unknown, base: PathSegment[]): SchemaIssue[] {
  // anyOf/oneOf: one message for the node (from the schema's description), not one per branch.
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const coveredBy = (e: ErrorObject) =>
    unions.some((u) => u !== e && e.instancePath === u.instancePath && e.schemaPath.startsWith(u.schemaPath.replace(/\/(anyOf|oneOf)$/, '')));
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && coveredBy(e)) continue;
    // "if/then" failures repeat the branch's own errors.
    if (e.keyword === 'if') continue;
    const path = [...base, ...pointerToPath(e.instancePath, data)];
    const issue = describe(e, path);
    const key = `${dottedPath(issue.path)}|${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

function describe(e: ErrorObject, path: PathSegment[]): SchemaIssue {
  const at = dottedPath(path);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {});
      const hint = closest(key, allowed, 1);
      const where = path.length ? `${at}.${key}` : key;
      const expected = allowed.length ? `; expected one of: ${allowed.join(', ')}` : '';
      return {
        code: 'unknown-key',
        path: [...path, key],
        atKey: true,
        message: `${where} is not allowed (unknown key${hint.length ? `; did you mean "${hint[0]}"?` : ''}${hint.length ? '' : expected})`,
      };
    }
    case 'required': {
      const key = String(p.missingProperty);
      return { code: 'required', path, atKey: false, message: `${path.length ? `${at}.${key}` : key} is required` };
    }
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      return { code: e.keyword, path, atKey: false, message: `${at} must be ${COMPARISON[String(p.comparison)] ?? p.comparison} ${p.limit}` };
    case 'enum':
      return { code: 'enum', path, atKey: false, message: `${at} must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { code: 'const', path, atKey: false, message: `${at} must be ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return { code: 'type', path, atKey: false, message: `${at} must be ${article(String(p.type))}` };
    case 'anyOf':
    case 'oneOf': {
      const desc = (e.parentSchema as Record<string, unknown> | undefined)?.description;
      return { code: 'type', path, atKey: false, message: `${at} must be ${typeof desc === 'string' ? desc : 'one of the allowed forms'}` };
    }
    case 'pattern': {
      const desc = (e.parentSchema as Record<string, unknown> | undefined)?.description;
      return { code: 'pattern', path, atKey: false, message: `${at} must be ${typeof desc === 'string' ? desc : `a string matching ${p.pattern}`}` };
    }
    default:
      return { code: e.keyword, path, atKey: false, message: `${at} ${e.message ?? 'is invalid'}` };
  }
}

function article(type: string): string {
  const t = type.replace(/,/g, ' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
