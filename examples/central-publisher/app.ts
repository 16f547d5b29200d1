import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../lambda/core/errors';
import { AllowlistSyncStack, stackNameOf } from '../../lib/allowlist-sync-stack';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { type MemberSettings, MemberStack } from './member-stack';

/**
 * The central publisher: the network account's allowlist-sync stack (config.json), which owns the prefix lists and
 * shares them with an organisational unit, and one stack per member account (members.json) whose security group
 * references them.
 */
export function centralPublisher(app: App, configValue: unknown, members: readonly MemberSettings[]) {
  const config = parseDeploymentConfig(configValue, 'examples/central-publisher/config.json');
  const publishers = config.environments.map(
    (environment) => new AllowlistSyncStack(app, stackNameOf(environment), { config, environment }),
  );
  // A prefix list is shared and referenced only in its own Region (docs/aws-behaviour.md §36).
  const regions = new Set(config.environments.map((e) => e.region));
  const issues = members.flatMap((m, i) =>
    regions.has(m.region)
      ? []
      : [
          `[${i}].region: member "${m.name}" is in ${m.region}, where the network account publishes no list (${[...regions].join(', ')}): add an environment in ${m.region} to config.json`,
        ],
  );
  if (issues.length > 0) throw new ConfigError('examples/central-publisher/members.json', issues);
  return { publishers, members: members.map((m) => new MemberStack(app, `Member-${m.name}`, m)) };
}

// `npx cdk synth --app "npx tsx examples/central-publisher/app.ts"`, from the repository root.
if (require.main === module) {
  const read = (file: string): unknown => JSON.parse(readFileSync(path.join(__dirname, file), 'utf8'));
  const app = new App();
  centralPublisher(app, read('config.json'), read('members.json') as MemberSettings[]);
  app.synth();
}
