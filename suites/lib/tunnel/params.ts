/** `with:` pieces shared by the darkwake and keepalive scenarios (schemas carry the docs an editor shows). */
import { durationSchema } from '../../../harness/util/duration.ts';

export interface HostsParam {
  client: string;
  gateway: string;
  segment: string;
}

export interface KeepaliveParam {
  idleSec: number;
  intervalSec: number;
  count: number;
}

export const hostsSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'lab hosts: the client (or SUT) that sleeps, the gateway, and the segment whose link goes down',
  properties: {
    client: { type: 'string', default: 'client' },
    gateway: { type: 'string', default: 'gateway' },
    segment: { type: 'string', default: 'lan' },
  },
} as const;

/** tcp(7): TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT, whole seconds; never scaled (the kernel's clock). */
export const keepaliveSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'kernel TCP keepalive (tcp(7)); real seconds, not scaled by timeScale',
  properties: {
    idleSec: { type: 'integer', minimum: 1, maximum: 7200, default: 1 },
    intervalSec: { type: 'integer', minimum: 1, maximum: 600, default: 1 },
    count: { type: 'integer', minimum: 1, maximum: 20, default: 2 },
  },
} as const;

export const dur = (dflt: string, description: string) => ({ ...durationSchema, default: dflt, description });

