/**
 * The fields of the deployment config, read from its zod schemas (lib/deployment-config.ts): each field's path, type,
 * default and whether an environment may give its own value. docs/configuration.md's reference table is generated
 * from these rows and FIELD_DOCS (test/docs/config-reference.ts), so a field added to the schema fails the docs test
 * until the table has it, and a row for a field that no longer exists fails it too.
 */
import type * as z from 'zod';
import { SourceSchema } from '../../lambda/config';
import { DeploymentConfigSchema, EnvironmentAllowlistSchema, EnvironmentSchema } from '../../lib/deployment-config';

/** One field of the deployment config. */
export interface ConfigField {
  /** `allowlists[].securityGroups.create.vpcId`; `<name>` stands for a key of a keyed object. */
  readonly path: string;
  readonly type: string;
  /** The schema's default, `required`, or `none` (optional, no default). */
  readonly default: string;
  /** Where an environment gives its own value in place of this one, if it may (a whole share replaces its fields). */
  readonly perEnvironment?: string;
}

type Def = Record<string, unknown> & { type: string };
const defOf = (schema: z.core.$ZodType) => schema._zod.def as unknown as Def;

/**
 * RuntimeConfig's own schemas are documented by its table (docs/configuration.md, RuntimeConfig): the walk stops at
 * them and gives one row.
 */
const RUNTIME_OWNED = new Map<z.core.$ZodType, string>([[SourceSchema, 'source (see the RuntimeConfig)']]);

/** Every field of the deployment config, in schema order. */
export function configFields(): ConfigField[] {
  const out: ConfigField[] = [];
  walkObject(DeploymentConfigSchema, '', out);
  return out.map((f) => {
    const perEnvironment = perEnvironmentPath(f.path);
    return perEnvironment ? { ...f, perEnvironment } : f;
  });
}

function walkObject(schema: z.core.$ZodType, at: string, out: ConfigField[]): void {
  const shape = defOf(schema).shape as Record<string, z.core.$ZodType>;
  for (const [key, field] of Object.entries(shape)) walkField(field, at === '' ? key : `${at}.${key}`, out);
}

function walkField(schema: z.core.$ZodType, path: string, out: ConfigField[]): void {
  let inner = schema;
  let fallback = 'required';
  let nullable = false;
  for (;;) {
    const def = defOf(inner);
    if (def.type === 'optional') fallback = fallback === 'required' ? 'none' : fallback;
    else if (def.type === 'default') fallback = JSON.stringify(def.defaultValue);
    else if (def.type === 'nullable') nullable = true;
    else break;
    inner = def.innerType as z.core.$ZodType;
  }
  out.push({ path, type: `${typeOf(inner)}${nullable ? ' or null' : ''}`, default: fallback });
  descend(inner, path, out);
}

function descend(schema: z.core.$ZodType, path: string, out: ConfigField[]): void {
  if (RUNTIME_OWNED.has(schema)) return;
  const def = defOf(schema);
  if (def.type === 'object') walkObject(schema, path, out);
  if (def.type === 'array') descend(def.element as z.core.$ZodType, `${path}[]`, out);
  if (def.type === 'record') descend(def.valueType as z.core.$ZodType, `${path}.<name>`, out);
}

function typeOf(schema: z.core.$ZodType): string {
  const owned = RUNTIME_OWNED.get(schema);
  if (owned) return owned;
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return 'object';
    case 'record':
      return 'object keyed by allowlist name';
    case 'array':
      return `array of ${typeOf(def.element as z.core.$ZodType)}`;
    case 'enum':
      return Object.values(def.entries as Record<string, string>)
        .map((v) => `"${v}"`)
        .join(' or ');
    case 'literal':
      return (def.values as unknown[]).map((v) => JSON.stringify(v)).join(' or ');
    case 'number':
      return (def.checks as unknown[] | undefined)?.some((c) => defOf(c as z.core.$ZodType).format === 'safeint') ||
        (def as { format?: string }).format === 'safeint'
        ? 'integer'
        : 'number';
    case 'string':
      return (def as { format?: string }).format === 'email' ? 'e-mail address' : 'string';
    case 'pipe':
      // A transform of anything (credential-config's ClientAddressSchema) says its shapes in its description.
      return defOf(def.in as z.core.$ZodType).type === 'unknown'
        ? 'see the description'
        : typeOf(def.in as z.core.$ZodType);
    default:
      return def.type;
  }
}

/**
 * `allowlists[].x.y` → `environments[].allowlists.<name>.x.y` where an environment gives x.y as one value (an object
 * it gives whole, like a share, covers its fields); likewise a top-level default.
 */
function perEnvironmentPath(path: string): string | undefined {
  const [head, ...rest] = path.split('.');
  if (head === 'allowlists[]' && rest.length > 0) {
    for (let n = 1; n <= rest.length; n++) {
      const node = nodeAt(EnvironmentAllowlistSchema, rest.slice(0, n));
      if (node === undefined) return undefined;
      if (node.replacedWhole) {
        const at = `environments[].allowlists.<name>.${rest.slice(0, n).join('.')}`;
        return n === rest.length ? at : `with ${at}`;
      }
    }
    return undefined;
  }
  if (rest.length === 0 && head !== 'environments' && head !== 'allowlists' && nodeAt(EnvironmentSchema, [head!])) {
    return `environments[].${head}`;
  }
  return undefined;
}

/** The environment schema's node at `keys`; `replacedWhole` when it is a value, not an object of overrides. */
function nodeAt(schema: z.core.$ZodType, keys: string[]): { replacedWhole: boolean } | undefined {
  let at = schema;
  let nullable = false;
  for (const key of keys) {
    nullable = false;
    while (['optional', 'default', 'nullable'].includes(defOf(at).type)) {
      if (defOf(at).type === 'nullable') nullable = true;
      at = defOf(at).innerType as z.core.$ZodType;
    }
    const shape = defOf(at).shape as Record<string, z.core.$ZodType> | undefined;
    if (shape?.[key] === undefined) return undefined;
    at = shape[key];
  }
  while (['optional', 'default', 'nullable'].includes(defOf(at).type)) {
    if (defOf(at).type === 'nullable') nullable = true;
    at = defOf(at).innerType as z.core.$ZodType;
  }
  return { replacedWhole: nullable || defOf(at).type !== 'object' };
}
