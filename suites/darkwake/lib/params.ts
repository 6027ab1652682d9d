/** `with:` pieces shared by the darkwake scenarios, written once (TypeBox: the schema an editor shows and the type). */
import { Type, type Static } from '@sinclair/typebox';
import { Hosts } from '../../lib/tunnel/params.ts';
import { DurationParam } from '../../lib/params.ts';
import { DEFAULT_MIN_DARK_WAKE, Schedule, TimeScale } from './schedule.ts';

/** The sleep model's parameters; each darkwake scenario spreads them into its own `with:`. */
export const sleepModelProperties = {
  schedule: Schedule,
  timeScale: TimeScale,
  minDarkWake: DurationParam(
    DEFAULT_MIN_DARK_WAKE,
    'real time a dark wake lasts at least, whatever timeScale: a client needs this long to be scheduled, notice the resume and reconnect on a busy machine (a scaled 30s dark wake is 120 ms); the schedule evidence says which were raised. 0ms keeps the scaled length',
  ),
  kernelAwake: Type.Boolean({
    default: false,
    description:
      "true: only the process sleeps, its kernel keeps answering (models TCP keepalive offload); false: the client host's link is down while asleep",
  }),
  hosts: Hosts,
};

const SleepModel = Type.Object(sleepModelProperties, { additionalProperties: false });
export type SleepModelParams = Static<typeof SleepModel>;

export { keepaliveParam, type KeepaliveParam } from '../../lib/tunnel/params.ts';
