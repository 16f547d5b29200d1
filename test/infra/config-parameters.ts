/**
 * Test helpers: the RuntimeConfig as a synthesized template delivers it, read back through the function's own loader
 * (lambda/engine/config-store.ts). Each deploy-time token in a parameter's value is replaced by a realistic id of its
 * kind, distinct per resource and of the longest length AWS issues, as CloudFormation would resolve it.
 */
import { createHash } from 'node:crypto';
import type { Template } from 'aws-cdk-lib/assertions';
import type { RuntimeConfig } from '../../lambda/config';
import {
  CONFIG_ALLOWLISTS_ENV,
  CONFIG_PATH_ENV,
  type ConfigLocation,
  SsmConfigStore,
} from '../../lambda/engine/config-store';
import { FakeSsm } from '../fakes/fake-ssm';

/** One config parameter of a template: its name and its value with every token resolved. */
export interface DeployedParameter {
  readonly name: string;
  readonly value: string;
}

/** A realistic id for a token: `sg-`/`pl-` and 17 hex digits, or a UUID, derived from the resource's logical id. */
export function realisticId(logicalId: string, attribute: string): string {
  const hex = createHash('sha256').update(logicalId).digest('hex');
  if (attribute === 'GroupId') return `sg-${hex.slice(0, 17)}`;
  if (attribute === 'PrefixListId') return `pl-${hex.slice(0, 17)}`;
  if (attribute === 'Id')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  throw new Error(`no realistic id for ${logicalId}.${attribute}`);
}

/** A template value with its tokens resolved (`Fn::GetAtt` by {@link realisticId}, `Fn::Join` joined). */
export function resolveValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const record = value as Record<string, unknown>;
  if ('Fn::GetAtt' in record) {
    const [id, attribute] = record['Fn::GetAtt'] as [string, string];
    return realisticId(id, attribute);
  }
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveValue).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** The config parameters the template writes (AWS::SSM::Parameter under the function's path), tokens resolved. */
export function deployedParameters(template: Template): DeployedParameter[] {
  const { path } = configLocation(template);
  return Object.values(template.findResources('AWS::SSM::Parameter'))
    .map((p) => ({ name: resolveValue(p.Properties.Name), value: resolveValue(p.Properties.Value) }))
    .filter((p) => p.name.startsWith(`${path}/`));
}

/** The sync function's environment in the template. */
export function functionEnvironment(template: Template): Record<string, unknown> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    String(f.Properties.Description).startsWith('allowlist-sync: keeps'),
  );
  if (!fn) throw new Error('no sync function in the template');
  return fn.Properties.Environment.Variables as Record<string, unknown>;
}

/** The config location the function's environment carries. */
export function configLocation(template: Template): ConfigLocation {
  const env = functionEnvironment(template);
  return { path: String(env[CONFIG_PATH_ENV]), allowlists: String(env[CONFIG_ALLOWLISTS_ENV]).split(',') };
}

/**
 * Puts the template's parameters into a fake SSM as CloudFormation would, then reads them with the function's own
 * loader and its own environment: the RuntimeConfig the deployed function would run on.
 */
export async function loadDeployedConfig(template: Template): Promise<{ config: RuntimeConfig; ssm: FakeSsm }> {
  const ssm = new FakeSsm();
  for (const p of deployedParameters(template)) ssm.seed(p.name, 'String', p.value);
  const { config } = await new SsmConfigStore(ssm.client, configLocation(template)).load();
  return { config, ssm };
}
