/**
 * The AWS actions the function's runtime can call, derived from its code: every SDK command imported from an
 * `@aws-sdk/client-*` package by a file under `lambda/`, with the IAM action AWS authorizes it as, per target and
 * source kind. A file that starts sending a command nobody mapped here fails the IAM coverage test, which then
 * requires a grant for it (test/infra/iam-coverage.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './synth';

/** What a runtime file serves: a target kind, a source kind, or run state every allowlist keeps. */
export type Capability =
  | 'security-groups'
  | 'prefix-lists'
  | 'waf-ip-sets'
  | 's3-source'
  | 'ssm-source'
  | 'run-state'
  | 'signed-serial'
  | 'change-events'
  | 'config-store';

/** The files that send SDK commands, and what each serves. A new sending file must be added here. */
export const CAPABILITY_OF: Readonly<Record<string, Capability>> = {
  'lambda/targets/security-group.ts': 'security-groups',
  'lambda/targets/prefix-list.ts': 'prefix-lists',
  'lambda/targets/waf-ip-set.ts': 'waf-ip-sets',
  'lambda/sources/s3.ts': 's3-source',
  'lambda/sources/ssm.ts': 'ssm-source',
  'lambda/engine/run-lock.ts': 'run-state',
  'lambda/sources/serial-store.ts': 'signed-serial',
  'lambda/engine/change-events.ts': 'change-events',
  'lambda/engine/config-store.ts': 'config-store',
};

/**
 * The resources an action is needed on, by role in the stack: `*` (no resource-level permission), the pool's groups
 * and rules, the IP sets, the prefix lists, the source objects (unpinned or pinned), the source parameters, the run
 * lock and generation, the lock alone, the serial, the default event bus, and the path of the deployment's config
 * parameters.
 */
export type ResourceRole =
  | 'any'
  | 'pool-groups-and-rules'
  | 'ip-sets'
  | 'prefix-lists'
  | 'source-objects'
  | 'pinned-source-objects'
  | 'source-parameters'
  | 'lock-and-generation'
  | 'lock'
  | 'serial'
  | 'default-event-bus'
  | 'config-path';

/** One IAM action a command needs, on what, and under which condition. */
export interface NeededAction {
  readonly action: string;
  readonly on: ResourceRole;
  /** An IAM condition the grant must carry (e.g. CreateTags only as part of an authorize). */
  readonly condition?: Record<string, unknown>;
}

/**
 * What each command needs, per capability. The first action of each entry must be `<service>:<command name>`, which
 * the derivation checks against the import: a command is authorized as the action of its own name. The others are
 * what AWS also evaluates for that call (docs/permissions.md says why for each).
 */
export const NEEDS: Readonly<Record<Capability, Readonly<Record<string, readonly NeededAction[]>>>> = {
  'security-groups': {
    DescribeSecurityGroups: [{ action: 'ec2:DescribeSecurityGroups', on: 'any' }],
    DescribeSecurityGroupRules: [{ action: 'ec2:DescribeSecurityGroupRules', on: 'any' }],
    DescribeManagedPrefixLists: [{ action: 'ec2:DescribeManagedPrefixLists', on: 'any' }],
    AuthorizeSecurityGroupIngress: [
      { action: 'ec2:AuthorizeSecurityGroupIngress', on: 'pool-groups-and-rules' },
      // TagSpecifications on the new rules: authorized as CreateTags on them, only within this authorize.
      {
        action: 'ec2:CreateTags',
        on: 'pool-groups-and-rules',
        condition: { StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' } },
      },
    ],
    RevokeSecurityGroupIngress: [{ action: 'ec2:RevokeSecurityGroupIngress', on: 'pool-groups-and-rules' }],
  },
  'prefix-lists': {
    DescribeManagedPrefixLists: [{ action: 'ec2:DescribeManagedPrefixLists', on: 'any' }],
    GetManagedPrefixListEntries: [{ action: 'ec2:GetManagedPrefixListEntries', on: 'prefix-lists' }],
    ModifyManagedPrefixList: [{ action: 'ec2:ModifyManagedPrefixList', on: 'prefix-lists' }],
  },
  'waf-ip-sets': {
    GetIPSet: [{ action: 'wafv2:GetIPSet', on: 'ip-sets' }],
    UpdateIPSet: [{ action: 'wafv2:UpdateIPSet', on: 'ip-sets' }],
  },
  's3-source': {
    // A GetObject with VersionId is authorized as s3:GetObjectVersion instead.
    GetObject: [
      { action: 's3:GetObject', on: 'source-objects' },
      { action: 's3:GetObjectVersion', on: 'pinned-source-objects' },
    ],
  },
  'ssm-source': { GetParameter: [{ action: 'ssm:GetParameter', on: 'source-parameters' }] },
  'run-state': {
    GetParameter: [{ action: 'ssm:GetParameter', on: 'lock-and-generation' }],
    PutParameter: [{ action: 'ssm:PutParameter', on: 'lock-and-generation' }],
    DeleteParameter: [{ action: 'ssm:DeleteParameter', on: 'lock' }],
  },
  'signed-serial': {
    GetParameter: [{ action: 'ssm:GetParameter', on: 'serial' }],
    PutParameter: [{ action: 'ssm:PutParameter', on: 'serial' }],
  },
  // Every applying run that changed, refused or failed a target puts one event (docs/expiry-and-events.md).
  'change-events': {
    PutEvents: [
      {
        action: 'events:PutEvents',
        on: 'default-event-bus',
        condition: {
          StringEquals: {
            'events:source': 'allowlist-sync',
            'events:detail-type': ['Allowlist Applied', 'Allowlist Refused', 'Allowlist Failed'],
          },
        },
      },
    ],
  },
  // Every run reads the deployment's RuntimeConfig under one SSM path (docs/runtime-config-delivery.md); SSM
  // authorizes GetParametersByPath on the path's ARN (docs/aws-behaviour.md §40).
  'config-store': { GetParametersByPath: [{ action: 'ssm:GetParametersByPath', on: 'config-path' }] },
};

/** Client packages whose IAM service prefix differs from their name. */
const IAM_PREFIX_OF_CLIENT: Readonly<Record<string, string>> = { eventbridge: 'events' };

/** One SDK command a runtime file sends. */
export interface SentCommand {
  readonly file: string;
  /** `ec2`, `wafv2`, `s3`, `ssm`, `events`: the IAM service prefix of the client package. */
  readonly service: string;
  /** Without the `Command` suffix: `DescribeSecurityGroups`. */
  readonly command: string;
}

/** Every `XxxCommand` value imported from an `@aws-sdk/client-*` package by a runtime file (all of `lambda/`). */
export function sentCommands(root = ROOT): SentCommand[] {
  const out: SentCommand[] = [];
  for (const file of tsFiles(path.join(root, 'lambda'))) {
    const text = readFileSync(file, 'utf8');
    const relative = path.relative(root, file).split(path.sep).join('/');
    const named = [...text.matchAll(/import\s*(type\s*)?\{[^}]*\}\s*from\s*'@aws-sdk\/client-/g)].length;
    const any = [...text.matchAll(/['"]@aws-sdk\/client-/g)].length;
    if (named !== any) {
      // A namespace, default, dynamic or re-exported import would send commands this scan cannot see.
      throw new Error(`${relative} uses @aws-sdk/client-* other than by named import: map what it sends`);
    }
    for (const match of text.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      if (match[1]) continue;
      // The client package is named after the service; its IAM prefix is the same but for EventBridge's `events`.
      const service = IAM_PREFIX_OF_CLIENT[match[3]!] ?? match[3]!;
      for (const raw of match[2]!.split(',')) {
        const name = raw.trim();
        if (name === '' || name.startsWith('type ')) continue;
        const imported = name.split(/\s+as\s+/)[0]!;
        if (/Command$/.test(imported)) out.push({ file: relative, service, command: imported.replace(/Command$/, '') });
        else if (!/(Client|ServiceException|Exception)$/.test(imported)) {
          // A paginator or an aggregated client would send commands this scan cannot see.
          throw new Error(`${relative} imports ${imported} from @aws-sdk/client-${service}: map what it sends`);
        }
      }
    }
  }
  return out;
}

/** The actions each capability needs, derived from the commands its files send; throws on anything unmapped. */
export function neededActions(root = ROOT): Map<Capability, NeededAction[]> {
  const needed = new Map<Capability, NeededAction[]>();
  const problems: string[] = [];
  const sent = sentCommands(root);
  for (const one of sent) {
    const capability = CAPABILITY_OF[one.file];
    const mapped = capability === undefined ? undefined : NEEDS[capability][one.command];
    if (capability === undefined || mapped === undefined) {
      problems.push(
        `${one.file} sends ${one.command}Command: add it to CAPABILITY_OF/NEEDS in test/infra/runtime-actions.ts and grant it in lib/permissions.ts`,
      );
      continue;
    }
    if (mapped[0]?.action !== `${one.service}:${one.command}`) {
      problems.push(`${one.file}: ${one.command}Command is authorized as ${one.service}:${one.command} first`);
    }
    const list = needed.get(capability) ?? [];
    for (const action of mapped) {
      if (!list.some((a) => a.action === action.action && a.on === action.on)) list.push(action);
    }
    needed.set(capability, list);
  }
  // A mapping no file uses any more is a grant nobody needs.
  for (const [capability, commands] of Object.entries(NEEDS) as [Capability, CommandNeeds][]) {
    for (const command of Object.keys(commands)) {
      const used = sent.some((s) => CAPABILITY_OF[s.file] === capability && s.command === command);
      if (!used) problems.push(`NEEDS.${capability}.${command}: no runtime file sends ${command}Command any more`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return needed;
}

type CommandNeeds = Readonly<Record<string, readonly NeededAction[]>>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}
