/**
 * One Ajv instance for the whole process (Spectral-style): strict, allErrors, defaults applied,
 * and one compiled validator per schema object. Validation never changes the document it is
 * given: it runs on a copy, and that copy, with the schema's defaults filled in, is the result.
 */
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { closest } from '../util/closest.ts';
import { DURATION_FORMAT, MAX_DURATION_MS, maxDurationText } from '../util/duration.ts';
import { durationFormat } from './formats.ts';
import { precompiled } from './precompiled.ts';
import { dottedPath, pointerToPath } from './path.ts';
import type { PathSegment } from './yaml-source.ts';

/*
 * Ajv itself (and ajv-formats' plugin) is required when a validator is first compiled here, not
 * imported: the compiled CLI validates shipped profiles with validators generated at build time
 * (./precompiled.ts), which need only Ajv's small runtime helpers, so a `validate` neither
 * parses nor initialises Ajv's compiler (~270 KB of bundle with fast-uri). `createRequire` keeps
 * esbuild from bundling it: in the compiled CLI it loads node_modules/ajv when a schema has no
 * generated validator (a fixture scenario's, NETCONFORM_EXTRA_SUITES).
 */
const requireHere = createRequire(import.meta.url);

export interface SchemaIssue {
  code: string;
  path: PathSegment[];
  /** Point at the key itself rather than its value (unknown keys). */
  atKey: boolean;
  message: string;
}

let ajvInstance: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** The options every validator is compiled with, at run time here and at build time (standalone.ts). */
export const AJV_OPTIONS = {
  strict: true,
  allErrors: true,
  useDefaults: true,
  verbose: true,
  allowUnionTypes: true,
} as const;

/** An Ajv with AJV_OPTIONS (plus `extra`) and every format of ./formats.ts. */
export function newAjv(extra: Pick<Options, 'code'> = {}): Ajv {
  const { Ajv } = requireHere('ajv') as typeof import('ajv');
  // CommonJS: the module is the plugin function.
  const addFormats = requireHere('ajv-formats') as (ajv: Ajv) => Ajv;
  const a = new Ajv({ ...AJV_OPTIONS, ...extra });
  addFormats(a);
  a.addFormat(DURATION_FORMAT, durationFormat);
  return a;
}

function ajv(): Ajv {
  ajvInstance ??= newAjv();
  return ajvInstance;
}

/** What identifies a schema across processes: its JSON text, hashed (symbol keys, e.g. TypeBox's, are not part of it, nor of what Ajv reads). */
export function schemaKey(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url');
}

/**
 * The validator for `schema`, compiled once. It fills defaults into what it validates. The
 * compiled CLI carries validators generated at build time for every shipped schema
 * (./precompiled.ts), which skips Ajv's compile (most of a `validate`); any other schema (a
 * fixture scenario's, or a source tree newer than the build) is compiled here.
 */
export function compile(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = (precompiled.size > 0 ? precompiled.get(schemaKey(schema))?.() : undefined) ?? ajv().compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/**
 * At most this many errors of one validation are turned into messages (with a position each);
 * the rest are only counted. Far more than is printed (profile.ts MAX_REPORTED_ISSUES), so the
 * printed ones are the first in the file; it bounds the work on a file with 60,000 unknown keys.
 */
export const MAX_DESCRIBED_ERRORS = 500;

export interface Validation<T> {
  issues: SchemaIssue[];
  /** Further errors found but not described (beyond MAX_DESCRIBED_ERRORS). */
  undescribed: number;
  /** A copy of the data with the schema's defaults filled in. */
  value: T;
}

/** Validates a copy of `data`; issues have paths below `base`. `data` itself is left as it was. */
export function validateWith<T = unknown>(schema: object, data: unknown, base: PathSegment[] = []): Validation<T> {
  const fn = compile(schema);
  const value = structuredClone(data) as T;
  if (fn(value)) return { issues: [], undescribed: 0, value };
  return { ...toIssues(fn.errors ?? [], value, base), value };
}

const COMPARISON: Record<string, string> = { '<=': '≤', '>=': '≥', '<': '<', '>': '>' };

/** Errors at a union's own location that say the value has another shape than that branch. */
const SHAPE_KEYWORDS = new Set([
  'type',
  'required',
  'additionalProperties',
  'const',
  'enum',
  'pattern',
  'anyOf',
  'oneOf',
]);

/**
 * Errors to report. For each anyOf/oneOf that failed: if exactly one branch fits the value's
 * shape (e.g. a number for `integer | duration string`), that branch's own errors ("must be
 * ≤ …"); otherwise one message for the union (from its description). Linear in the errors: a
 * branch error finds its union by (schema path, instance path) in a map.
 */
function selectErrors(errors: ErrorObject[]): ErrorObject[] {
  const unions = new Map<string, ErrorObject>();
  for (const e of errors)
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') unions.set(`${e.schemaPath}|${e.instancePath}`, e);
  const isUnion = (e: ErrorObject) => e.keyword === 'anyOf' || e.keyword === 'oneOf';
  // Each error's innermost enclosing failed union and the branch it came from.
  const owner = new Map<ErrorObject, { union: ErrorObject; branch: number }>();
  const branches = new Map<ErrorObject, Map<number, ErrorObject[]>>();
  if (unions.size > 0) {
    for (const e of errors) {
      const steps = [...e.schemaPath.matchAll(/\/(anyOf|oneOf)\/(\d+)(?=\/)/g)];
      for (let s = steps.length - 1; s >= 0; s--) {
        const step = steps[s]!;
        const union = findUnion(unions, e.schemaPath.slice(0, step.index + step[1]!.length + 1), e.instancePath);
        if (!union) continue;
        const branch = Number(step[2]);
        owner.set(e, { union, branch });
        const byBranch = branches.get(union) ?? new Map<number, ErrorObject[]>();
        byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
        branches.set(union, byBranch);
        break;
      }
    }
  }
  const chosen = new Map<ErrorObject, number | 'summary'>();
  for (const u of unions.values()) {
    const byBranch = [...(branches.get(u) ?? [])];
    const fitting = byBranch.filter(
      ([, errs]) => !errs.some((x) => x.instancePath === u.instancePath && SHAPE_KEYWORDS.has(x.keyword)),
    );
    const severalPassed = u.keyword === 'oneOf' && (u.params as { passingSchemas?: unknown }).passingSchemas != null;
    chosen.set(u, fitting.length === 1 && !severalPassed ? fitting[0]![0] : 'summary');
  }
  const visible = (e: ErrorObject): boolean => {
    for (let o = owner.get(e); o; o = owner.get(o.union)) if (chosen.get(o.union) !== o.branch) return false;
    return true;
  };
  // "if/then" failures repeat the branch's own errors; a failed property name's inner error (it
  // carries `propertyName`) repeats its `propertyNames` error, which names the key.
  return errors.filter(
    (e) =>
      e.keyword !== 'if' && e.propertyName === undefined && visible(e) && (!isUnion(e) || chosen.get(e) === 'summary'),
  );
}

/** The union at `schemaPath` whose instance path is the longest prefix of `instancePath`. */
function findUnion(
  unions: Map<string, ErrorObject>,
  schemaPath: string,
  instancePath: string,
): ErrorObject | undefined {
  for (let p = instancePath; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const u = unions.get(`${schemaPath}|${p}`);
    if (u) return u;
    if (p === '') return undefined;
  }
}

function toIssues(
  errors: ErrorObject[],
  data: unknown,
  base: PathSegment[],
): { issues: SchemaIssue[]; undescribed: number } {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  const selected = selectErrors(errors);
  for (const [n, e] of selected.entries()) {
    if (issues.length === MAX_DESCRIBED_ERRORS) return { issues, undescribed: selected.length - n };
    const path = [...base, ...pointerToPath(e.instancePath, data)];
    const issue = describe(e, path);
    const key = `${dottedPath(issue.path)}|${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return { issues, undescribed: 0 };
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
    case 'propertyNames': {
      const key = String(p.propertyName);
      const parent = e.parentSchema as { propertyNames?: { description?: unknown } } | undefined;
      const names = parent?.propertyNames;
      const rule = typeof names?.description === 'string' ? names.description : 'a valid name';
      const name = path.length ? `${at}.${key}` : key;
      return { code: 'bad-key', path: [...path, key], atKey: true, message: `${name}: the key must be ${rule}` };
    }
    case 'required': {
      const key = String(p.missingProperty);
      return { code: 'required', path, atKey: false, message: `${path.length ? `${at}.${key}` : key} is required` };
    }
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum': {
      const limit = p.limit === MAX_DURATION_MS ? maxDurationText : String(p.limit);
      return {
        code: e.keyword,
        path,
        atKey: false,
        message: `${at} must be ${COMPARISON[String(p.comparison)] ?? p.comparison} ${limit}`,
      };
    }
    case 'enum':
      return {
        code: 'enum',
        path,
        atKey: false,
        message: `${at} must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    case 'const':
      return { code: 'const', path, atKey: false, message: `${at} must be ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return { code: 'type', path, atKey: false, message: `${at} must be ${article(String(p.type))}` };
    case 'anyOf':
    case 'oneOf': {
      const desc = (e.parentSchema as Record<string, unknown> | undefined)?.description;
      return {
        code: 'type',
        path,
        atKey: false,
        message: `${at} must be ${typeof desc === 'string' ? desc : 'one of the allowed forms'}`,
      };
    }
    case 'pattern': {
      const desc = (e.parentSchema as Record<string, unknown> | undefined)?.description;
      return {
        code: 'pattern',
        path,
        atKey: false,
        message: `${at} must be ${typeof desc === 'string' ? desc : `a string matching ${p.pattern}`}`,
      };
    }
    case 'format':
      if (p.format === DURATION_FORMAT)
        return {
          code: 'duration-too-long',
          path,
          atKey: false,
          message: `${at} must be at most ${maxDurationText} (the longest a timer can wait)`,
        };
      return { code: 'format', path, atKey: false, message: `${at} ${e.message ?? 'is invalid'}` };
    default:
      return { code: e.keyword, path, atKey: false, message: `${at} ${e.message ?? 'is invalid'}` };
  }
}

function article(type: string): string {
  const t = type.replace(/,/g, ' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
