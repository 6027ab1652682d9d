/**
 * Which parameters of the published profile schema (`netconform schema`) an editor would show
 * without a description: every property, array item and map value of each selected scenario's
 * `with:` / `expect:` branch must describe itself. Union and allOf branches are walked, not
 * required to describe themselves (the property holding them does).
 */
type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && !Array.isArray(v);

function walk(node: Node, path: string, out: string[]): void {
  const props = node.properties;
  if (isNode(props)) {
    for (const [key, sub] of Object.entries(props)) {
      if (!isNode(sub)) continue;
      if (typeof sub.description !== 'string' || sub.description === '') out.push(`${path}.${key}`);
      walk(sub, `${path}.${key}`, out);
    }
  }
  for (const [keyword, suffix] of [['items', '[]'], ['additionalProperties', '.<key>']] as const) {
    const sub = node[keyword];
    if (!isNode(sub)) continue;
    if (typeof sub.description !== 'string' || sub.description === '') out.push(`${path}${suffix}`);
    walk(sub, `${path}${suffix}`, out);
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const branches = node[keyword];
    if (Array.isArray(branches)) for (const b of branches) if (isNode(b)) walk(b, path, out);
  }
}

/** `<use> with.<path>` of every parameter without a description, for the scenarios `include` selects. */
export function undescribedParams(published: Node, include: (scenarioId: string) => boolean): string[] {
  const scenarios = (published.properties as Node).scenarios as Node;
  const branches = (scenarios.items as Node).allOf as Node[];
  const out: string[] = [];
  for (const b of branches) {
    const id = String((((b.if as Node).properties as Node).use as Node).const);
    if (!include(id)) continue;
    const then = (b.then as Node).properties as Node;
    for (const part of ['with', 'expect'] as const) walk(then[part] as Node, `${id} ${part}`, out);
  }
  return out;
}

/**
 * Every key of the profile itself an editor would show without a description (top level,
 * requires:, lab:, sut:, a scenario entry's own keys), the per-`use:` branches left to
 * `undescribedParams`. Paths are dotted from the top: `lab.hosts.<key>.links[]`.
 */
export function undescribedProfileKeys(published: Node): string[] {
  const props = published.properties as Node;
  const scenarios = props.scenarios as Node;
  const { allOf: _branches, ...entry } = scenarios.items as Node;
  const out: string[] = [];
  walk({ properties: { ...props, scenarios: { ...scenarios, items: entry } } }, '', out);
  return out.map((p) => p.replace(/^\./, ''));
}

/** How many parameters the selected scenarios have, described or not (for reports). */
export function paramCount(published: Node, include: (scenarioId: string) => boolean): number {
  const all: string[] = [];
  const strip = (n: unknown): unknown => (isNode(n) ? Object.fromEntries(Object.entries(n).map(([k, v]) => [k, k === 'description' ? undefined : Array.isArray(v) ? v.map(strip) : strip(v)])) : n);
  all.push(...undescribedParams(strip(published) as Node, include));
  return all.length;
}
