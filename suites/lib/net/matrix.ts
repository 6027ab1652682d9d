/**
 * Expectation matrices: what each (row, column) cell must be, what was observed, the cells
 * that differ (MatrixEvidence.mismatches, highlighted by every reporter), and the shorthands
 * profiles use instead of spelling out every cell (`reach: all`, `default-route-only`, …).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { MatrixEvidence } from '../../../harness/model/check.ts';
import { Enum } from '../params.ts';

/** Where one row must be delivered. A list names the columns exactly. */
export const RowReach = Type.Union(
  [
    Enum(['all', 'none', 'own', 'default-route-only']),
    Type.Array(
      Type.String({
        minLength: 1,
        description: 'a segment (column) the row must reach; the others must not be reached',
      }),
      { uniqueItems: true },
    ),
  ],
  { description: 'all, none, own, default-route-only, or the list of segments reached' },
);
export type RowReach = Static<typeof RowReach>;

/** One row's overrides: `<column>: true|false`. */
const CellRow = Type.Unsafe<Record<string, boolean>>({
  type: 'object',
  description: "one row's overrides: <segment>: true (must be delivered) | false (must not be)",
  additionalProperties: Type.Boolean({ description: 'true: the cell must be delivered; false: it must not be' }),
});

export type Cells = Record<string, Record<string, boolean>>;

/** `cells: { <row>: { <column>: true|false } }`: per-cell overrides of the shorthands; `rows` says what this scenario's rows are called. */
export function cellOverrides(rows: string, example: Cells) {
  return Type.Unsafe<Cells>({
    type: 'object',
    description: `per-cell overrides: { <row>: { <segment>: true (delivered) | false (not delivered) } }; rows: ${rows}`,
    additionalProperties: CellRow,
    default: {},
    examples: [example],
  });
}

export interface ReachContext {
  cols: string[];
  /** The row's own column (the interface it was bound to), for `own`. */
  own?: string;
  /** The column the default route points at, for `default-route-only`. */
  defaultRoute?: string;
}

/** Expected delivery per column; undefined = not checked. */
export function expectedRow(reach: RowReach, rc: ReachContext): Array<boolean | undefined> {
  return rc.cols.map((c) => {
    if (Array.isArray(reach)) return reach.includes(c);
    switch (reach) {
      case 'all':
        return true;
      case 'none':
        return false;
      case 'own':
        return rc.own === undefined ? undefined : c === rc.own;
      case 'default-route-only':
        return rc.defaultRoute === undefined ? undefined : c === rc.defaultRoute;
    }
  });
}

/** Applies `cells` overrides; returns the names in `cells` that match no row/column (a profile error). */
export function applyCells(
  expected: Array<Array<boolean | undefined>>,
  rows: string[],
  cols: string[],
  cells: Cells,
): string[] {
  const unknown: string[] = [];
  for (const [row, byCol] of Object.entries(cells)) {
    const r = rows.indexOf(row);
    if (r < 0) {
      unknown.push(`row "${row}" (rows: ${rows.join(', ')})`);
      continue;
    }
    for (const [col, v] of Object.entries(byCol)) {
      const c = cols.indexOf(col);
      if (c < 0) unknown.push(`column "${col}" of row "${row}" (columns: ${cols.join(', ')})`);
      else expected[r]![c] = v;
    }
  }
  return unknown;
}

export interface CellDiff {
  r: number;
  c: number;
  row: string;
  col: string;
  expected: boolean;
  got: boolean;
}

export interface MatrixInput {
  title: string;
  rowLabel: string;
  colLabel: string;
  rows: string[];
  cols: string[];
  expected: Array<Array<boolean | undefined>>;
  got: boolean[][];
  /** Cell text; default ✓ / —. */
  text?: (r: number, c: number) => string;
  legend?: string;
}

export function compareMatrix(m: MatrixInput): { evidence: MatrixEvidence; diffs: CellDiff[] } {
  const diffs: CellDiff[] = [];
  const cells = m.rows.map((row, r) =>
    m.cols.map((col, c) => {
      const got = m.got[r]![c]!;
      const exp = m.expected[r]![c];
      if (exp !== undefined && exp !== got) diffs.push({ r, c, row, col, expected: exp, got });
      return m.text ? m.text(r, c) : got ? '✓' : '—';
    }),
  );
  const evidence: MatrixEvidence = {
    kind: 'matrix',
    title: m.title,
    rowLabel: m.rowLabel,
    colLabel: m.colLabel,
    rows: m.rows,
    cols: m.cols,
    cells,
    mismatches: diffs.map((d) => [d.r, d.c]),
    legend: m.legend,
  };
  return { evidence, diffs };
}

/** "lan-b, lan-c" / "lan-b and lan-c" style lists for messages. */
export function list(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Groups diffs by row: which columns were missed (expected, not got) and which were extra. */
export function diffsByRow(diffs: CellDiff[]): Map<string, { missed: string[]; extra: string[] }> {
  const out = new Map<string, { missed: string[]; extra: string[] }>();
  for (const d of diffs) {
    const e = out.get(d.row) ?? { missed: [], extra: [] };
    (d.expected ? e.missed : e.extra).push(d.col);
    out.set(d.row, e);
  }
  return out;
}
