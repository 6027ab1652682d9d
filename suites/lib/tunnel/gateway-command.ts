/**
 * Your own server as the gateway (`gateway: { command: [...] }`): the profile's command, run as
 * a tracked process in the gateway's lab host, in place of the gateway emulator (./gateway.ts).
 * The harness keeps its side — the sleep model, the schedule, the verdict — and reads the
 * sessions from the wire on the gateway's link, never from the server's word.
 *
 * `${gateway.address}` and `${gateway.port}` are substituted in its argv (and, with
 * `gateway.tls`, `${gateway.cert}` and `${gateway.key}`: a PEM pair made for the run). A relative
 * path runs from the profile's folder. It is ready when every condition of `ready` holds: a
 * stdout line matching `ready.stdout`, and its port listening in the gateway's namespace
 * (`ready.port`, by default the gateway port; read from /proc, no connection made).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { listeningTcpPorts } from '../../../harness/process/procfs.ts';
import type { ManagedProcess } from '../../../harness/process/types.ts';
import { parseDuration } from '../../../harness/util/duration.ts';
import { Described, DurationParam, DurationType } from '../params.ts';
import { sleep } from '../net/timing.ts';

export const GatewayCommandProperties = {
  command: Type.Optional(
    Type.Array(
      Type.String({
        description: "one argument (the first: the program; a relative path runs from the profile's folder)",
      }),
      {
        minItems: 1,
        description:
          'your own server as the gateway, in place of the emulator: argv run in hosts.gateway, with ' +
          '${gateway.address} and ${gateway.port} (with tls: ${gateway.cert}, ${gateway.key}) substituted. ' +
          "The sessions and the gateway's drops are read from the wire on its link; dpd, dpdTimeout, " +
          "keepalive and echo are the emulator's and do not apply",
      },
    ),
  ),
  ready: Type.Optional(
    Type.Object(
      {
        stdout: Type.Optional(Type.String({ description: 'regular expression a line of its stdout must match' })),
        port: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 65535,
            description: 'TCP port that must be listening in the gateway host (default: gateway.port)',
          }),
        ),
        timeout: DurationParam('10s', 'how long your server may take to become ready (real time)'),
      },
      {
        additionalProperties: false,
        description:
          'with command: when your server is ready (every condition given; the gateway port listening when none is)',
      },
    ),
  ),
  minReaction: Type.Optional(
    Described(DurationType, {
      description:
        'with command: when your server decides a silent client is dead (its dead-peer or idle timeout; ' +
        "real time, never scaled). A sleep, or the reference client's heartbeat, that is longer than it " +
        'unscaled but shorter once scaled would change what the night shows: the scenario then stops ' +
        'before starting anything and names the timeScale that fits',
    }),
  ),
};
const GatewayCommand = Type.Object(GatewayCommandProperties);
export type GatewayCommandParams = Static<typeof GatewayCommand>;

/** `${name}` from `vars`, or an error naming the argument and the known names. */
export function substituteArgs(argv: readonly string[], vars: Record<string, string>, what: string): string[] {
  return argv.map((a, i) =>
    a.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
      const v = vars[name];
      if (v === undefined)
        throw new Error(`unknown variable \${${name}} in ${what}[${i}] (known: ${Object.keys(vars).join(', ')})`);
      return v;
    }),
  );
}

/**
 * Starts the command in `host` and resolves once it is ready; throws (after stopping it) when it
 * exits first or is not ready in time, with its last output.
 */
export async function startGatewayCommand(
  ctx: ScenarioContext,
  o: {
    host: string;
    params: GatewayCommandParams & { command: string[] };
    port: number;
    vars: Record<string, string>;
    signal: AbortSignal;
  },
): Promise<ManagedProcess> {
  const argv = substituteArgs(o.params.command, o.vars, 'gateway.command');
  const ready = o.params.ready;
  const pattern = ready?.stdout === undefined ? undefined : new RegExp(ready.stdout);
  const port = ready?.port ?? (pattern ? undefined : o.port);
  const timeoutMs = parseDuration(ready?.timeout ?? '10s');
  ctx.log(`gateway command: starting ${JSON.stringify(argv)} in ${o.host}`);
  const proc = ctx.spawn(argv, {
    host: o.host,
    cwd: ctx.profileDir,
    app: true,
    onLine: (stream, line) => ctx.log(`gateway ${stream}: ${line}`),
  });
  const deadline = Date.now() + timeoutMs;
  const stdoutOk = (): boolean =>
    !pattern || proc.output.some((l) => l.startsWith('[stdout] ') && pattern.test(l.slice(9)));
  for (;;) {
    const portOk = port === undefined || (await listeningTcpPorts(proc.pid)).has(port);
    if (stdoutOk() && portOk && proc.running()) break;
    const why = !proc.running()
      ? `it exited (${describeExit(await proc.exited)})`
      : o.signal.aborted
        ? 'aborted'
        : Date.now() > deadline
          ? `not ready after ${timeoutMs} ms`
          : undefined;
    if (why) {
      await proc.stop(1000);
      const waited = [
        pattern ? `a stdout line matching /${ready!.stdout}/` : '',
        port === undefined ? '' : `TCP port ${port} listening in ${o.host}`,
      ]
        .filter(Boolean)
        .join(' and ');
      const tail = proc.output.slice(-5).join(' | ') || 'none';
      throw new Error(
        `your gateway command (${argv[0]}) did not become ready: ${why}; waited for ${waited}; last output: ${tail}`,
      );
    }
    await sleep(50, o.signal);
  }
  ctx.log(`gateway command: ready (pid ${proc.pid})`);
  return proc;
}

function describeExit(e: { code: number | null; signal: string | null }): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}
