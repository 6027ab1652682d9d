/** bundle.lint's parameters, written once (TypeBox): the JSON Schema and the TypeScript type. */
import { Type, type Static } from '@sinclair/typebox';
import { RULE_IDS } from './rules/index.ts';

export const With = Type.Object(
  {
    app: Type.String({
      minLength: 1,
      description: 'path to the .app bundle; relative paths are resolved against the profile folder',
    }),
    distribution: Type.Union([Type.Literal('developer-id'), Type.Literal('app-store'), Type.Literal('development')], {
      default: 'developer-id',
      description:
        'developer-id (signed to ship outside the App Store), app-store or development: how the app is signed',
    }),
    installed: Type.Boolean({
      default: false,
      description: 'the app is installed: on macOS its real path must be under /Applications',
    }),
    usesUdp: Type.Optional(
      Type.Boolean({
        description: 'the app sends or receives UDP; when omitted, inferred from _udp entries in NSBonjourServices',
      }),
    ),
    skip: Type.Array(
      Type.Union(
        RULE_IDS.map((id) => Type.Literal(id)),
        { description: `a rule id: ${RULE_IDS.join(', ')}` },
      ),
      { default: [], uniqueItems: true, description: 'rule ids to turn off (each is reported as skipped)' },
    ),
  },
  { additionalProperties: false },
);
export type With = Static<typeof With>;

export const Expect = Type.Object(
  {},
  { additionalProperties: false, description: 'bundle.lint has no expectations: every rule must hold' },
);
export type Expect = Static<typeof Expect>;
