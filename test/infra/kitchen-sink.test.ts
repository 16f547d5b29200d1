/**
 * `config/kitchen-sink.json` uses every deployment option: each field of the deployment config schema, each source
 * kind the function can read and each list format, so the cfn-lint tier (test/infra/cfn-lint.test.ts) lints every
 * resource and property the stack can declare, and every value an environment may give for its allowlists (its second
 * environment). A new option fails this test until the kitchen sink uses it.
 */
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { DeploymentConfigSchema, parseDeploymentConfig } from '../../lib/deployment-config';
import { repositoryConfig } from './synth';

/** Where the schema has an object keyed by name (`environments[].allowlists`): its keys are written `<name>`. */
const keyedObjects = new Set<string>();

/** What the schema accepts: every field path, and `path=value` for each literal (a union's discriminator). */
function schemaPaths(schema: z.core.$ZodType, at: string, out: Set<string>): Set<string> {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object':
      for (const [key, field] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
        const path = at === '' ? key : `${at}.${key}`;
        out.add(path);
        schemaPaths(field, path, out);
      }
      break;
    case 'array':
      schemaPaths(def.element as z.core.$ZodType, `${at}[]`, out);
      break;
    case 'record':
      keyedObjects.add(at);
      schemaPaths(def.valueType as z.core.$ZodType, `${at}.<name>`, out);
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      schemaPaths(def.innerType as z.core.$ZodType, at, out);
      break;
    case 'union':
      for (const option of def.options as z.core.$ZodType[]) schemaPaths(option, at, out);
      break;
    case 'pipe':
      schemaPaths(def.in as z.core.$ZodType, at, out);
      break;
    case 'literal':
      for (const value of def.values as unknown[]) out.add(`${at}=${String(value)}`);
      break;
  }
  return out;
}

/** The same paths for a value. */
function valuePaths(value: unknown, at: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) valuePaths(item, `${at}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, field] of Object.entries(value)) {
      const path = at === '' ? key : `${at}.${keyedObjects.has(at) ? '<name>' : key}`;
      out.add(path);
      valuePaths(field, path, out);
    }
  } else {
    out.add(`${at}=${String(value)}`);
  }
  return out;
}

describe('the kitchen-sink deployment config', () => {
  const kitchenSink = repositoryConfig('kitchen-sink.json');

  it('is a valid deployment config', () => {
    expect(() => parseDeploymentConfig(kitchenSink)).not.toThrow();
  });

  it('uses every field, source kind and format the deployment config accepts', () => {
    const accepted = schemaPaths(DeploymentConfigSchema, '', new Set());
    // `file` sources exist only for the CLI: the deployment config refuses them.
    const deployable = [...accepted].filter((p) => !/^allowlists\[\]\.sources\[\]\.(kind=file|path)$/.test(p));
    expect(deployable.length).toBeGreaterThan(60);
    const used = valuePaths(kitchenSink, '', new Set());
    expect(deployable.filter((p) => !used.has(p)).sort()).toEqual([]);
  });
});
