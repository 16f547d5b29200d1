/**
 * Reading a RuntimeConfig file for the commands that take `--config` (plan, apply, export): JSON, or YAML when the
 * name ends in .yaml or .yml, parsed by the same schema the function uses.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parseRuntimeConfig, parseRuntimeConfigJson, type RuntimeConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/core/errors';

/** Reads a RuntimeConfig file: JSON, or YAML when the name ends in .yaml or .yml. */
export async function readRuntimeConfigFile(path: string): Promise<RuntimeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`], { cause: error });
  }
  if (/\.ya?ml$/i.test(path)) {
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (error) {
      throw new ConfigError(path, [`not valid YAML: ${(error as Error).message}`], { cause: error });
    }
    return parseRuntimeConfig(value, path);
  }
  return parseRuntimeConfigJson(text, path);
}
