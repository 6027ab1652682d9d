/**
 * SUT and child output is bounded (harness/util/bounded-lines.ts): a 50 MB line keeps 4 KiB
 * and says how much was cut; a flood keeps the most recent 256 KiB per process and 1 MiB per
 * scenario log; the reports (JSON, JUnit, HTML) say that the log was cut and by how much.
 * Facts asserted are kept bytes and notices, never memory or time.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnManaged } from '../harness/process/spawn.ts';
import {
  LINE_MAX_BYTES,
  LineSplitter,
  PROCESS_OUTPUT_MAX_BYTES,
  SCENARIO_LOG_MAX_BYTES,
  TailLines,
  noCut,
} from '../harness/util/bounded-lines.ts';
import type { RunResult } from '../harness/model/results.ts';
import { cli, readJson, tempOut } from './helpers/cli.ts';

const bytes = (lines: string[]): number => lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

describe('bounded lines', () => {
  it('LineSplitter: a line of any length keeps its first 4 KiB and says how much was cut; CRLF and a last line without newline', () => {
    const got: Array<[string, number]> = [];
    const s = new LineSplitter((l, cut) => got.push([l, cut]));
    s.push(Buffer.from('a\r\nb'));
    for (let i = 0; i < 100; i++) s.push(Buffer.alloc(10_000, 0x78));
    s.push(Buffer.from('\nlast'));
    s.end();
    expect(got[0]).toEqual(['a', 0]);
    expect(got[1]![1]).toBe(1 + 1_000_000 - LINE_MAX_BYTES);
    expect(got[1]![0].startsWith(`b${'x'.repeat(LINE_MAX_BYTES - 1)}`)).toBe(true);
    expect(got[1]![0]).toContain('[line cut: 972.6 KiB more not kept]');
    expect(got[2]).toEqual(['last', 0]);
  });

  it('LineSplitter never splits a UTF-8 character', () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l), 5);
    s.push(Buffer.from('aaaé€\n'));
    expect(got[0]!.startsWith('aaaé ')).toBe(true);
    expect(got[0]).not.toContain('\ufffd');
  });

  it('TailLines keeps the most recent lines within the limit and counts the rest', () => {
    const lines: string[] = [];
    const cut = noCut();
    const t = new TailLines(lines, cut, 1000);
    for (let i = 0; i < 10_000; i++) t.push(`line ${i}`);
    expect(bytes(lines)).toBeLessThanOrEqual(1000);
    expect(lines.at(-1)).toBe('line 9999');
    expect(cut.droppedLines + lines.length).toBe(10_000);
  });
});

describe('a child that prints a 50 MB line and a flood', () => {
  it('spawnManaged keeps at most 256 KiB, the tail, and counts what it cut', async () => {
    const script = `process.stdout.write('H'.repeat(50_000_000) + '\\n'); let b = ''; for (let i = 0; i < 100000; i++) b += 'flood ' + i + '\\n'; process.stdout.write(b + 'the end\\n');`;
    const p = spawnManaged([process.execPath, '-e', script]);
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(bytes(p.output)).toBeLessThanOrEqual(PROCESS_OUTPUT_MAX_BYTES);
    expect(p.output.at(-1)).toBe('[stdout] the end');
    expect(p.outputCut.cutLines).toBe(1);
    expect(p.outputCut.cutBytes).toBe(50_000_000 - LINE_MAX_BYTES);
    // The huge line was the first: dropped from the tail by the flood.
    expect(p.outputCut.droppedLines).toBeGreaterThan(0);
    expect(p.outputCut.droppedLines + p.output.length).toBe(100_002);
  });

  it('the reports say the log was cut and by how much; junit.xml stays small', async () => {
    const out = await tempOut();
    const r = await cli(['run', 'test/fixtures/profiles/flood.yaml', '-o', out]);
    expect(r.exitCode, r.all).toBe(0);
    const json = await readJson<RunResult>(join(out, 'results.json'));
    const s = json.scenarios[0]!;
    expect(s.checks[0]!.reason).toMatch(/cut 1 lines by 49995904 bytes/);
    expect(s.checks[0]!.reason).toMatch(/last kept: \[stdout\] last line$/);
    expect(s.logCut?.cutLines).toBe(1);
    expect(s.logCut?.droppedLines).toBeGreaterThan(0);
    expect(s.log[0]).toMatch(
      /^\[netconform\] log cut: the first \d+ lines \([\d.]+ (KiB|MiB)\) were dropped, at most the last 1\.0 MiB is kept; 1 line was longer than 4\.0 KiB and cut \(47\.7 MiB not kept\)$/,
    );
    expect(bytes(s.log)).toBeLessThanOrEqual(SCENARIO_LOG_MAX_BYTES + 1024);
    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    expect(junit).toContain('[netconform] log cut: the first');
    expect((await stat(join(out, 'junit.xml'))).size).toBeLessThan(2 * SCENARIO_LOG_MAX_BYTES);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('log cut: the first');
    expect((await stat(join(out, 'report.html'))).size).toBeLessThan(2 * SCENARIO_LOG_MAX_BYTES);
  });
});
