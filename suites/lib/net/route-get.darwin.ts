/**
 * macOS `route -n get <destination>` output, parsed (route(8); the printer is print_getmsg in
 * Apple's network_cmds route.tproj/route.c): one `label: value` line per field, the labels
 * right-aligned — "   route to:", "destination:", "       mask:", "    gateway:", "  interface:",
 * "      flags: <UP,GATEWAY,…>" — then a table of metrics. A destination with no route makes
 * route exit non-zero ("not in table"), which the caller sees as a failed command.
 * Pure text in, fields out: it runs on every OS (test/suites/darwin-host.test.ts, with recorded
 * transcripts in test/fixtures/darwin/).
 */

export interface RouteGet {
  /** What was asked ("default", "255.255.255.255"). */
  routeTo: string | undefined;
  /** The matching route's destination ("default" for the default route). */
  destination: string | undefined;
  mask: string | undefined;
  /** Absent for an on-link route (no GATEWAY flag). */
  gateway: string | undefined;
  /** The interface the kernel sends by, e.g. "en0" or "utun3". */
  interface: string | undefined;
  flags: string[];
}

const FIELD = /^\s*(route to|destination|mask|gateway|interface|flags):\s*(.*?)\s*$/;

/** Undefined when the text has no `interface:` line (not route get output). */
export function parseRouteGet(text: string): RouteGet | undefined {
  const f: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = FIELD.exec(line);
    if (m && f[m[1]!] === undefined) f[m[1]!] = m[2]!;
  }
  if (!f.interface) return undefined;
  return {
    routeTo: f['route to'],
    destination: f.destination,
    mask: f.mask,
    gateway: f.gateway,
    interface: f.interface,
    flags: (/^<(.*)>$/.exec(f.flags ?? '')?.[1] ?? '').split(',').filter(Boolean),
  };
}
