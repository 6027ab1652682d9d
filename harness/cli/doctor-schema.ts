/**
 * The shape of `netconform doctor --json` (printed by `netconform doctor --json-schema`): what a
 * user attaches to a bug report. Written once in TypeBox; test/doctor.e2e.test.ts validates a real
 * run against it. `format` changes only when a field is removed or changes meaning.
 */
import { Type, type Static } from '@sinclair/typebox';

const Probe = Type.Object(
  {
    ok: Type.Boolean({ description: 'whether it is available here' }),
    reason: Type.String({ description: 'what was found, or why not' }),
  },
  { additionalProperties: false, description: 'one probed fact' },
);

const Route = Type.Object(
  {
    interface: Type.Optional(Type.String({ description: 'the interface the default route leaves by' })),
    gateway: Type.Optional(Type.String({ description: 'the next hop, absent for an on-link route' })),
    reason: Type.Optional(Type.String({ description: 'why there is no route (no default route, the command failed)' })),
  },
  { additionalProperties: false, description: 'a default route' },
);

const Interface = Type.Object(
  {
    name: Type.String({ description: 'interface name (en0, eth0)' }),
    index: Type.Integer({ description: 'interface index' }),
    type: Type.String({ description: 'functional type: Linux sysfs, macOS SIOCGIFFUNCTIONALTYPE' }),
    flags: Type.Array(Type.String(), { description: 'up, running, loopback, broadcast, multicast, point-to-point' }),
    mtu: Type.Integer({ description: 'MTU in bytes' }),
    addresses: Type.Array(Type.String(), { description: 'address/prefix length' }),
    segment: Type.Boolean({ description: 'whether host mode uses it as a segment' }),
    notSegment: Type.Optional(Type.String({ description: 'why host mode does not use it' })),
  },
  { additionalProperties: false, description: 'one interface of this host' },
);

const ContextRow = Type.Object(
  {
    context: Type.String({ description: 'harness, launchagent or sudo' }),
    detail: Type.String({ description: 'what it ran as' }),
    skipped: Type.Optional(Type.String({ description: 'why this launch context could not be probed' })),
    sends: Type.Array(
      Type.Object(
        {
          kind: Type.String({ description: 'unicast, broadcast, multicast4, multicast6' }),
          state: Type.String({ description: 'sent-unconfirmed (not refused), denied (with code) or not-run' }),
          code: Type.Optional(Type.String({ description: 'errno code of a refused send' })),
        },
        { additionalProperties: false, description: 'one kind of send' },
      ),
      { description: 'one row per kind of traffic' },
    ),
  },
  { additionalProperties: false, description: 'local network privacy in one launch context' },
);

const ScenarioRow = Type.Object(
  {
    id: Type.String({ description: 'the scenario id in the profile' }),
    use: Type.String({ description: 'the scenario it runs' }),
    runs: Type.Boolean({ description: 'whether `netconform run` would run it here (with the flags doctor was given)' }),
    reason: Type.String({ description: 'why it is skipped, or how it runs' }),
  },
  { additionalProperties: false, description: 'one scenario of a shipped profile' },
);

export const DoctorReport = Type.Object(
  {
    format: Type.Literal('netconform-doctor/1', { description: 'this schema' }),
    netconform: Type.String({ description: 'netconform version' }),
    node: Type.String({ description: 'Node.js version' }),
    os: Type.Object(
      {
        platform: Type.String({ description: 'process.platform' }),
        name: Type.String({ description: 'e.g. "macOS 15.1 (24B83)" or /etc/os-release PRETTY_NAME' }),
        kernel: Type.String({ description: 'os.release()' }),
        arch: Type.String({ description: 'process.arch, the architecture Node runs as' }),
        translated: Type.Optional(
          Type.Boolean({ description: 'macOS: Node runs under Rosetta (sysctl.proc_translated)' }),
        ),
      },
      { additionalProperties: false, description: 'the operating system' },
    ),
    user: Type.Object(
      {
        uid: Type.Integer({ description: 'effective user id (-1 where there is none)' }),
        root: Type.Boolean({ description: 'running as root' }),
      },
      { additionalProperties: false, description: 'who runs netconform' },
    ),
    addon: Type.Object(
      {
        loaded: Type.Boolean({ description: 'the native addon loaded' }),
        reason: Type.Optional(Type.String({ description: 'why it did not load' })),
        features: Type.Record(Type.String(), Type.Boolean(), {
          description: 'addon features (pktinfo, timestamps, mmsg, netns)',
        }),
        build: Type.Object(
          {
            path: Type.Optional(Type.String({ description: 'the .node file' })),
            builtAt: Type.Optional(Type.String({ description: 'its modification time (ISO 8601)' })),
            warningsAsErrors: Type.Optional(Type.Boolean({ description: 'built with NETCONFORM_WERROR=1' })),
            nodeModuleVersion: Type.Optional(Type.Integer({ description: 'the Node ABI it was built for' })),
          },
          { additionalProperties: false, description: 'how it was built (node-gyp config.gypi)' },
        ),
      },
      { additionalProperties: false, description: 'the native addon' },
    ),
    networkFramework: Probe,
    defaultRoute: Type.Object(
      { ipv4: Route, ipv6: Route },
      {
        additionalProperties: false,
        description: 'default routes',
      },
    ),
    interfaces: Type.Array(Interface, { description: "the addon's interface inventory (empty without the addon)" }),
    capabilities: Type.Record(Type.String(), Probe, {
      description: 'what the runner probes (harness/runner/capabilities.ts)',
    }),
    tools: Type.Record(Type.String(), Probe, {
      description: 'external programs and kernel features (tcpdump, ip, cgroup v2; codesign on macOS)',
    }),
    localNetwork: Type.Object(
      {
        probed: Type.Boolean({ description: 'whether the quick probe ran (it needs --allow-host-network)' }),
        reason: Type.String({ description: 'what was probed, or why not' }),
        contexts: Type.Array(ContextRow, { description: 'one row per launch context' }),
      },
      { additionalProperties: false, description: 'local network privacy, per launch context' },
    ),
    profiles: Type.Array(
      Type.Object(
        {
          file: Type.String({ description: 'the shipped profile' }),
          profile: Type.String({ description: 'its name' }),
          scenarios: Type.Array(ScenarioRow, { description: 'what would run and what would be skipped' }),
        },
        { additionalProperties: false, description: 'one shipped profile' },
      ),
      { description: 'the shipped profiles' },
    ),
  },
  { additionalProperties: false, $id: 'netconform-doctor/1', description: 'netconform doctor --json' },
);

export type DoctorReport = Static<typeof DoctorReport>;
export type DoctorInterface = Static<typeof Interface>;
export type DoctorRoute = Static<typeof Route>;
export type DoctorScenarioRow = Static<typeof ScenarioRow>;
export type DoctorContextRow = Static<typeof ContextRow>;
