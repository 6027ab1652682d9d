/** `with:` pieces shared by the darkwake scenarios (schemas carry the docs an editor shows). */
import type { Duration } from '../../../harness/util/duration.ts';
import { hostsSchema, type HostsParam } from '../../lib/tunnel/params.ts';
import { scheduleSchema, timeScaleSchema, type ScheduleSpec } from './schedule.ts';

export const sleepModelProps = {
  schedule: scheduleSchema,
  timeScale: timeScaleSchema,
  kernelAwake: {
    type: 'boolean',
    default: false,
    description: 'true: only the process sleeps, its kernel keeps answering (models TCP keepalive offload); false: the client host\'s link is down while asleep',
  },
  hosts: hostsSchema,
} as const;

export interface SleepModelParams {
  schedule: ScheduleSpec;
  timeScale: number;
  kernelAwake: boolean;
  hosts: HostsParam;
}

export type { Duration };
export { dur, keepaliveSchema, type KeepaliveParam } from '../../lib/tunnel/params.ts';
