/**
 * `${name}` templates in a profile's SUT section (argv, env, ready.port). One parser serves the
 * validator, which refuses a name the scenario does not provide (with its position), and the
 * SUT runner, which substitutes: so what validates is exactly what runs. `$${` stands for a
 * literal `${`, for shell snippets such as `sh -c 'echo $${HOME}'` (the shell then expands it).
 */

export type TemplatePart = { literal: string } | { variable: string };

export interface TemplateProblem {
  /** Offset of the problem in the text. */
  offset: number;
  message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The parts of `text`, or the first problem (an unclosed `${`, an empty or malformed name). */
export function parseTemplate(text: string): TemplatePart[] | TemplateProblem {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i++;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) return { offset: i, message: 'an unclosed ${ (write $${ for a literal ${)' };
    const name = text.slice(i + 2, close);
    if (!NAME.test(name)) {
      return {
        offset: i,
        message: `\${${name}} is not a variable name (write $\${ for a literal \${, as in a shell snippet)`,
      };
    }
    if (literal) parts.push({ literal });
    literal = '';
    parts.push({ variable: name });
    i = close + 1;
  }
  if (literal) parts.push({ literal });
  return parts;
}

export const isTemplateProblem = (x: TemplatePart[] | TemplateProblem): x is TemplateProblem => !Array.isArray(x);

/**
 * `text` with each variable replaced from `vars` (own properties only: `${constructor}` is not a
 * variable). Throws an Error naming the first unknown variable or malformed template.
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  const parts = parseTemplate(text);
  if (isTemplateProblem(parts)) throw new Error(parts.message);
  return parts
    .map((p) => {
      if ('literal' in p) return p.literal;
      if (!Object.hasOwn(vars, p.variable)) {
        throw new Error(`unknown variable \${${p.variable}} (known: ${Object.keys(vars).join(', ') || 'none'})`);
      }
      return vars[p.variable]!;
    })
    .join('');
}
