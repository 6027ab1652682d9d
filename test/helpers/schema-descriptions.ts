/**
 * Which parameters of the published profile schema (`netconform schema`) an editor would show
 * without a description: every property, array item and map value of each selected scenario's
 * `with:` / `expect:` branch must describe itself. Union and allOf branches are walked, not
 * required to describe themselves (the property holding them does).
 */
type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && !Array.isArray(v);
const described = (n: Node): boolean => typeof n.description === 'string' && n.description !== '';

export interface Param {
  /** `<use> with.<path>`: `[]` for an array's items, `.<key>` for a map's values. */
  path: string;
  described: boolean;
}

function walk(node: Node, path: string, out: Param[]): void {
  const visit = (sub: unknown, subPath: string): void => {
    if (!isNode(sub)) return;
    out.push({ path: subPath, described: described(sub) });
    walk(sub, subPath, out);
  };
  if (isNode(node.properties)) for (const [key, sub] of Object.entries(node.properties)) visit(sub, `${path}.${key}`);
  visit(node.items, `${path}[]`);
  visit(node.additionalProperties, `${path}.<key>`);
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const branches = node[keyword];
    if (Array.isArray(branches)) for (const b of branches) if (isNode(b)) walk(b, path, out);
  }
}

const undescribed = (params: Param[]): string[] => params.filter((p) => !p.described).map((p) => p.path);

/** Every parameter of the scenarios `include` selects, in schema order. */
export function scenarioParams(published: Node, include: (scenarioId: string) => boolean): Param[] {
  const scenarios = (published.properties as Node).scenarios as Node;
  const out: Param[] = [];
  for (const b of (scenarios.items as Node).allOf as Node[]) {
    const id = String((((b.if as Node).properties as Node).use as Node).const);
    if (!include(id)) continue;
    const then = (b.then as Node).properties as Node;
    for (const part of ['with', 'expect'] as const) walk(then[part] as Node, `${id} ${part}`, out);
  }
  return out;
}

/** `<use> with.<path>` of every parameter without a description, for the scenarios `include` selects. */
export function undescribedParams(published: Node, include: (scenarioId: string) => boolean): string[] {
  return undescribed(scenarioParams(published, include));
}

/** How many parameters the selected scenarios have, described or not (for reports). */
export function paramCount(published: Node, include: (scenarioId: string) => boolean): number {
  return scenarioParams(published, include).length;
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
  const out: Param[] = [];
  walk({ properties: { ...props, scenarios: { ...scenarios, items: entry } } }, '', out);
  return undescribed(out).map((p) => p.replace(/^\./, ''));
}
