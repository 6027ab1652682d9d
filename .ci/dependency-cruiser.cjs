// The import rule of harness/README.md "Layers and import direction", checked by
// dependency-cruiser (`npm run lint:deps`, in .ci/run and test/layers.test.ts):
//
//   cli, bin → runner → {loader, reporters, registry} → model → {lab, process, net, util, native}
//
// suites/ import only harness/model, suites/lib and the bottom layer; a family never imports
// another family, and no file imports a scenario file. An arrow may skip layers downward,
// never point up. Lives in .ci/ because the top level of the repository is fixed.
const BOTTOM = '^(harness/(lab|process|net|util)/|native/)';
const MODEL = '^harness/model/';
const REGISTRY = '^harness/runner/registry\\.ts$';
const MIDDLE = `^harness/(loader|reporters)/|${REGISTRY}`;
const RUNNER = '^harness/runner/';
const TOP = '^harness/(cli|bin)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'harness-imports-suites',
      comment:
        'The harness finds scenarios by listing a suites folder (runner/registry.ts), never by importing one. ' +
        'Exceptions, named: the agent and doctor commands are front ends of suite tools (the host-mode ' +
        'peer agent, the lnp probe and the interface inventory), as `lab up` is of the lab.',
      severity: 'error',
      from: { path: '^(harness|native)/', pathNot: '^harness/cli/(agent-command|doctor|doctor-facts)[.]ts$' },
      to: { path: '^suites/' },
    },
    {
      name: 'bottom-imports-up',
      comment: 'lab, process, net, util and native are the bottom layer: they import only each other.',
      severity: 'error',
      from: { path: BOTTOM },
      to: { path: `${MODEL}|${MIDDLE}|${RUNNER}|${TOP}` },
    },
    {
      name: 'net-imports-repo-code',
      comment: 'harness/net/safety.ts imports only node:net, so every layer and the tunnel tools can use it.',
      severity: 'error',
      from: { path: '^harness/net/' },
      to: { path: '^(harness|suites|native)/', pathNot: '^harness/net/' },
    },
    {
      name: 'model-imports-up',
      comment: 'harness/model holds the contracts (types, tiny helpers): it imports only the bottom layer.',
      severity: 'error',
      from: { path: MODEL },
      to: { path: `${MIDDLE}|${RUNNER}|${TOP}` },
    },
    {
      name: 'middle-imports-up',
      comment: 'The loader, the reporters and the registry serve the runner; they never import it or the CLI.',
      severity: 'error',
      from: { path: MIDDLE },
      to: { path: `${TOP}|${RUNNER}`, pathNot: REGISTRY },
    },
    {
      name: 'reporters-see-only-results',
      comment: 'Reporters get RunResult objects: they import harness/model and util, not the lab, loader or registry.',
      severity: 'error',
      from: { path: '^harness/reporters/' },
      to: { path: '^(harness/(lab|process|net|loader)/|native/)|' + REGISTRY },
    },
    {
      name: 'runner-imports-cli',
      comment: 'The runner is driven by the CLI, never the other way round.',
      severity: 'error',
      from: { path: RUNNER },
      to: { path: TOP },
    },
    {
      name: 'suites-import-harness-above-model',
      comment: 'A suite imports harness/model, suites/lib and the bottom layer: not the runner, loader, reporters or CLI.',
      severity: 'error',
      from: { path: '^suites/' },
      to: { path: `${MIDDLE}|${RUNNER}|${TOP}` },
    },
    {
      name: 'family-imports-family',
      comment: 'Families never import each other: shared code goes to suites/lib/.',
      severity: 'error',
      from: { path: '^suites/([^/]+)/', pathNot: '^suites/lib/' },
      to: { path: '^suites/', pathNot: ['^suites/lib/', '^suites/$1/'] },
    },
    {
      name: 'suites-lib-imports-family',
      comment: 'suites/lib/ serves every family, so it imports none of them.',
      severity: 'error',
      from: { path: '^suites/lib/' },
      to: { path: '^suites/', pathNot: '^suites/lib/' },
    },
    {
      name: 'imports-a-scenario',
      comment: 'A scenario file (suites/<family>/<name>.ts) is loaded by the registry only, never imported.',
      severity: 'error',
      from: {},
      to: { path: '^suites/(?!lib/)[^/]+/[^/]+\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'] },
  },
};
