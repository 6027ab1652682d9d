/**
 * sut.files: a product's config written per start with templates, in a folder of its own
 * (`${files}`) that is removed when the attempt ends; paths cannot leave it; validate checks the
 * names and the templates.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../harness/model/scenario.ts';
import { sutFileProblem, tempFolder, writeSutFiles } from '../harness/process/sut-files.ts';
import { AttemptContext } from '../harness/runner/context.ts';

describe('sut.files', () => {
  it('renders paths and contents, keeps them inside the folder, and removes a folder it could not finish', async () => {
    const w = await writeSutFiles({ 'conf/app.conf': 'listen ${port}\nroot ${files}\n' }, { port: '4242' }, tempFolder);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(`${w.dir}/conf/app.conf`, 'utf8')).toBe(`listen 4242\nroot ${w.dir}\n`);
    await w.remove();
    expect(existsSync(w.dir)).toBe(false);
    for (const bad of ['/etc/passwd', '../x', 'a//b', 'a/', '']) expect(sutFileProblem(bad)).toBeDefined();
    let made = '';
    const folder = async (): Promise<string> => (made = await tempFolder());
    await expect(writeSutFiles({ '${up}/x': 'y' }, { up: '..' }, folder)).rejects.toThrow(/may not contain ".."/);
    expect(existsSync(made)).toBe(false);
    await expect(writeSutFiles({ 'a.conf': '${nope}' }, {}, tempFolder)).rejects.toThrow(/unknown variable \$\{nope\}/);
  });

  it('a SUT reads the file it was given as ${files}; the folder goes when the attempt ends', async () => {
    const ctx = new AttemptContext({
      scenarioId: 's',
      profileDir: '.',
      lab: undefined,
      sut: undefined,
      allowHostNetwork: false,
      capabilities: {} as Capabilities,
      attempt: 1,
      signal: new AbortController().signal,
    });
    const spec = {
      command: [
        process.execPath,
        '-e',
        'console.log(require("fs").readFileSync(process.argv[1], "utf8").trim()); setInterval(() => {}, 1000)',
        '${files}/app.conf',
      ],
      files: { 'app.conf': 'port=${port}' },
      ready: { line: '^port=' },
    };
    const seen: string[] = [];
    await ctx.startSut(spec, { port: '5353' }, { onLine: (_s, l) => seen.push(l) });
    expect(seen).toEqual(['port=5353']);
    const dir = /wrote 1 file\(s\) to (\S+)/.exec(ctx.lines.join('\n'))![1]!;
    expect(existsSync(dir)).toBe(true);
    await ctx.finish();
    expect(existsSync(dir)).toBe(false);
  });
});
