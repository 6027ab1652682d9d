/** Starting the profile's SUT in the multi-homed lab host, and reading what it printed. */
import type { Lab } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { ProcessExit, SutHandle } from '../../../harness/process/types.ts';
import { pickMultiHomed } from '../net/topology.ts';

/** The SUT's host: its `sut.host`, else the scenario's `with.host`, else the host with most links. */
export function sutHostName(ctx: ScenarioContext, lab: Lab, withHost: string | undefined): string {
  return ctx.sut?.host ?? pickMultiHomed(lab, withHost).name;
}

export async function startSutIn(ctx: ScenarioContext, host: string, vars: Record<string, string>): Promise<SutHandle> {
  // Never let a lab SUT run in the root namespace: pin it to its lab host.
  return ctx.startSut({ ...ctx.sut!, host }, vars);
}

/** Why the scenario cannot start: no `sut:` in the profile or scenario (the runner's 'sut' capability does not look). */
export function missingSut(ctx: ScenarioContext, id: string): string | undefined {
  if (!ctx.sut) return `${id} drives the product under test: add sut: { host, command: [...] } to the profile or the scenario`;
  if (!ctx.lab) return `${id} needs the profile's lab`;
  return undefined;
}

const FAILURE = /error|denied|refused|EACCES|ENETUNREACH|EADDRNOTAVAIL|Traceback|exception/i;

/** The last output line that looks like a failure (for the verdict), without the stream prefix. */
export function sutHint(output: readonly string[]): string | undefined {
  const line = [...output].reverse().find((l) => FAILURE.test(l));
  return line?.replace(/^\[(stdout|stderr)\] /, '').slice(0, 200);
}

/** Responder names the SUT's output does not mention. */
export function notFound(output: readonly string[], names: string[]): string[] {
  const text = output.join('\n');
  return names.filter((n) => !text.includes(n));
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
