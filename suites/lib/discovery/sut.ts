/** Starting the profile's SUT in the multi-homed lab host, and reading what it printed. */
import type { Lab } from '../../../harness/lab/types.ts';
import type { ProcessExit, SutHandle } from '../../../harness/process/types.ts';
import type { ScenarioContext, SutVariable, SutWatchOptions } from '../../../harness/model/scenario.ts';
import { pickMultiHomed } from '../net/topology.ts';

/** What a discovery-style scenario gives its SUT: the port, the group when it has one, the time it has. */
export const DISCOVERY_SUT_VARIABLES: Record<string, SutVariable> = {
  port: { description: 'the UDP port the responders listen on' },
  group: { description: 'the multicast group the responders joined', ifWith: 'group' },
  timeoutMs: { description: 'how long the SUT has, in ms' },
};

/** The variables for a run: `group` only when the scenario has one (validate refused `${group}` otherwise). */
export function discoveryVars(port: number, group: string | undefined, timeoutMs: number): Record<string, string> {
  return { port: String(port), ...(group === undefined ? {} : { group }), timeoutMs: String(timeoutMs) };
}

/** The SUT's host: its `sut.host`, else the scenario's `with.host`, else the host with most links. */
export function sutHostName(ctx: ScenarioContext, lab: Lab, withHost: string | undefined): string {
  return ctx.sut?.host ?? pickMultiHomed(lab, withHost).name;
}

export async function startSutIn(
  ctx: ScenarioContext,
  host: string,
  vars: Record<string, string>,
  watch: SutWatchOptions = {},
): Promise<SutHandle> {
  // Never let a lab SUT run in the root namespace: pin it to its lab host.
  return ctx.startSut({ ...ctx.sut!, host }, vars, watch);
}

/** Why the scenario cannot start: no `sut:` in the profile or scenario (the runner's 'sut' capability does not look). */
export function missingSut(ctx: ScenarioContext, id: string): string | undefined {
  if (!ctx.sut)
    return `${id} drives the product under test: add sut: { host, command: [...] } to the profile or the scenario`;
  if (!ctx.lab) return `${id} needs the profile's lab`;
  return undefined;
}

const FAILURE = /error|denied|refused|EACCES|ENETUNREACH|EADDRNOTAVAIL|Traceback|exception/i;

/** The last output line that looks like a failure (for the verdict), without the stream prefix. */
export function sutHint(output: readonly string[]): string | undefined {
  const line = [...output].reverse().find((l) => FAILURE.test(l));
  return line?.replace(/^\[(stdout|stderr)\] /, '').slice(0, 200);
}

/** Which of `names` the SUT's output mentioned, fed every line as it arrives (stdout or stderr). */
export class MentionWatch {
  private readonly seen = new Set<string>();

  constructor(private readonly names: readonly string[]) {}

  line(text: string): void {
    for (const n of this.names) if (!this.seen.has(n) && text.includes(n)) this.seen.add(n);
  }

  /** The names not mentioned yet. */
  missing(): string[] {
    return this.names.filter((n) => !this.seen.has(n));
  }
}

/**
 * How the SUT ended, when that is a crash: killed by a signal, or a non-zero exit. A clean exit
 * (a one-shot discovery tool that is done) is not one. Undefined while it still runs.
 */
export function sutCrash(exit: ProcessExit | undefined): string | undefined {
  if (!exit) return undefined;
  if (exit.signal) return `was killed by ${exit.signal}`;
  if (exit.code !== 0 && exit.code !== null) return `exited with code ${exit.code}`;
  return undefined;
}
