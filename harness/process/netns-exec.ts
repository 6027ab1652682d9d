/**
 * How a program enters a lab host: `ip netns exec NS argv…`. That call gives it a mount
 * namespace of its own (made a slave of the root's, so nothing mounted inside leaks out) and
 * bind-mounts every file in /etc/netns/NS over its namesake in /etc (ip-netns(8)): that is how
 * a lab host gets its own /etc/hosts (harness/lab/hosts-file.ts).
 *
 * A host may also have its own /run and /tmp (`hosts.X.private` in a profile), for a daemon
 * that keeps its pid file or socket there: the lab makes PRIVATE_ROOT/NS/run and …/tmp, and
 * every program started in NS gets them bind-mounted over /run and /tmp inside the mount
 * namespace `ip netns exec` made, so all the host's programs share them and nothing else sees
 * them. Like /etc/netns/NS, the folders themselves say which hosts opted in.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_ROOT = '/run/netconform/private';
export const PRIVATE_DIRS = ['run', 'tmp'] as const;
export type PrivateDir = (typeof PRIVATE_DIRS)[number];

export const privateDirOf = (netns: string, dir: PrivateDir): string => path.join(PRIVATE_ROOT, netns, dir);

/**
 * Bind-mounts each (source, target) pair given before `--`, then execs the rest as is (argv as
 * positional parameters, never parsed by the shell). A failed mount stops the program from
 * starting: exit 125, mount(8)'s message on stderr.
 */
const MOUNT_SCRIPT = 'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 125; shift 2; done; shift; exec "$@"';
const MOUNT_NAME = 'netconform-private';

/**
 * `ip netns exec NS argv…`, with the host's private folders mounted first when it has any. /tmp
 * goes before /run: the sources live under /run, which the second mount hides.
 */
export function netnsExecArgv(netns: string, argv: string[]): string[] {
  const order: PrivateDir[] = ['tmp', 'run'];
  const mounts = order.filter((d) => existsSync(privateDirOf(netns, d)));
  if (mounts.length === 0) return ['ip', 'netns', 'exec', netns, ...argv];
  const pairs = mounts.flatMap((d) => [privateDirOf(netns, d), `/${d}`]);
  return ['ip', 'netns', 'exec', netns, '/bin/sh', '-c', MOUNT_SCRIPT, MOUNT_NAME, ...pairs, '--', ...argv];
}
