/**
 * `plan --stack NAME` / `apply --stack NAME`: the RuntimeConfig of a deployed stack, read from the SSM parameters the
 * stack wrote, with the function's own loader (lambda/engine/config-store.ts), so an operator never copies ids by
 * hand. NAME is the construct's `namePrefix`, which is the stack name unless the construct was given another.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { RuntimeConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/core/errors';
import { configAllowlistsParameterName, configParameterPath, SsmConfigStore } from '../../lambda/engine/config-store';

/** Reads a deployed stack's RuntimeConfig: the allowlists' names, then their parameters, as the function does. */
export async function readStackConfig(ssm: SSMClient, stack: string, region?: string): Promise<RuntimeConfig> {
  const subject = `stack ${stack}${region ? ` (${region})` : ''}`;
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new ConfigError(subject, [
      `--stack "${stack}": a stack name (or namePrefix) has only letters, digits, "-", "_" and "."`,
    ]);
  }
  const namesParameter = configAllowlistsParameterName(stack);
  let names: string;
  try {
    names = (await ssm.send(new GetParameterCommand({ Name: namesParameter }))).Parameter?.Value ?? '';
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    const fix =
      name === 'ParameterNotFound'
        ? `no allowlist-sync stack "${stack}" is deployed here: check the stack name (or the construct's namePrefix) and the Region (--region), and deploy it with this version`
        : name === 'AccessDeniedException'
          ? `your credentials need ssm:GetParameter on ${namesParameter} and ssm:GetParametersByPath on ${configParameterPath(stack)}`
          : 'check the Region and the credentials, then run again';
    throw new ConfigError(subject, [`${namesParameter}: ${name}: ${(error as Error).message}; ${fix}`], {
      cause: error,
    });
  }
  const allowlists = names.split(',').filter((n) => n !== '');
  if (allowlists.length === 0) {
    throw new ConfigError(subject, [`${namesParameter}: empty; deploy the stack again`]);
  }
  const { config } = await new SsmConfigStore(ssm, { path: configParameterPath(stack), allowlists }).load();
  return config;
}
