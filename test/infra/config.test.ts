import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { loadDeploymentConfig } from '../../lib/load-deployment-config';
import { environmentSize, LAMBDA_ENVIRONMENT_LIMIT_BYTES, PARAMETER_VALUE_LIMIT_BYTES } from '../../lib/runtime-config';
import { fullConfig, ROOT, sampleConfig, synth } from './synth';

const LONG = 120_000;

function issuesOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('the deployment config', () => {
  it('parses the sample config in the repository', () => {
    const config = parseDeploymentConfig(sampleConfig());
    expect(config.environments.map((e) => e.name)).toEqual(['prod', 'staging', 'edge']);
    expect(config.scheduleMinutes).toBe(15);
  });

  it('lists every problem at once, each naming its field', () => {
    const bad = sampleConfig() as { environments: Record<string, unknown>[]; allowlists: Record<string, unknown>[] };
    bad.environments[0]!.account = '1234';
    bad.allowlists[0]!.securityGroups = { create: { vpcId: 'vpc-1', count: 0, ports: [] } };
    bad.allowlists[1]!.prefixLists = { ipv4: { maxEntries: 5000 } };
    const issues = issuesOf(() => parseDeploymentConfig(bad));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environments\[0\]\.account: an account id is 12 digits/),
        expect.stringMatching(/^allowlists\[0\]\.securityGroups\.create\.vpcId: a VPC id looks like/),
        expect.stringMatching(/^allowlists\[0\]\.securityGroups\.create\.count: /),
        expect.stringMatching(/^allowlists\[0\]\.securityGroups\.create\.ports: /),
        expect.stringMatching(/^allowlists\[1\]\.prefixLists\.ipv4\.maxEntries: /),
      ]),
    );
  });

  it.each([
    [
      'both existing and new security groups',
      (a: Record<string, unknown>) => {
        a.securityGroups = {
          create: { vpcId: 'vpc-0123456789abcdef0', count: 1, ports: [{ protocol: 'tcp', from: 1, to: 1 }] },
          existing: { groupIds: ['sg-0123456789abcdef0'], ports: [{ protocol: 'tcp', from: 1, to: 1 }] },
        };
      },
      /^allowlists\[0\]\.securityGroups: give exactly one of "create"/,
    ],
    [
      'CLOUDFRONT outside us-east-1',
      (a: Record<string, unknown>) => {
        a.wafIpSets = { scope: 'CLOUDFRONT', setsPerFamily: { ipv4: 1 } };
      },
      /^allowlists\[0\]\.wafIpSets\.scope: CLOUDFRONT IP sets exist only in us-east-1/,
    ],
    [
      'a web ACL without the rule group',
      (a: Record<string, unknown>) => {
        a.wafIpSets = { scope: 'REGIONAL', setsPerFamily: { ipv4: 1 }, webAcl: true };
      },
      /^allowlists\[0\]\.wafIpSets\.webAcl: a web ACL needs the rule group/,
    ],
    [
      'a forwarded-IP rule that admits requests without the header',
      (a: Record<string, unknown>) => {
        a.wafIpSets = {
          scope: 'REGIONAL',
          setsPerFamily: { ipv4: 1 },
          ruleGroup: { forwardedIp: { headerName: 'X-Forwarded-For', fallbackBehavior: 'MATCH', position: 'LAST' } },
        };
      },
      /^allowlists\[0\]\.wafIpSets\.ruleGroup\.forwardedIp\.fallbackBehavior: must be "NO_MATCH"/,
    ],
    [
      'a file source, which the function cannot read',
      (a: Record<string, unknown>) => {
        a.sources = [{ kind: 'file', path: 'list.txt' }];
      },
      /^allowlists\[0\]\.sources\[0\]\.kind: a "file" source exists only for the CLI/,
    ],
    [
      'no filter at all',
      (a: Record<string, unknown>) => {
        delete a.securityGroups;
        delete a.wafIpSets;
      },
      /^allowlists\[0\]: allowlist "partners" has no filter/,
    ],
    [
      'a typo in a field name',
      (a: Record<string, unknown>) => {
        a.prefixList = {};
      },
      /^allowlists\[0\]: Unrecognized key: "prefixList"/,
    ],
  ])('refuses %s, naming the field', (_what, mutate, message) => {
    const config = sampleConfig() as { allowlists: Record<string, unknown>[] };
    mutate(config.allowlists[0]!);
    expect(issuesOf(() => parseDeploymentConfig(config))).toEqual(
      expect.arrayContaining([expect.stringMatching(message)]),
    );
  });

  it('makes a forwarded-IP rule fail closed when fallbackBehavior is left out', () => {
    const config = sampleConfig() as { allowlists: Record<string, unknown>[] };
    config.allowlists[0]!.wafIpSets = {
      scope: 'REGIONAL',
      setsPerFamily: { ipv4: 1 },
      ruleGroup: { forwardedIp: { headerName: 'X-Forwarded-For', position: 'LAST' } },
    };
    const parsed = parseDeploymentConfig(config);
    expect(parsed.allowlists[0]!.wafIpSets?.ruleGroup?.forwardedIp).toEqual({
      headerName: 'X-Forwarded-For',
      position: 'LAST',
      fallbackBehavior: 'NO_MATCH',
    });
  });

  it('reads a YAML file named by the allowlistSyncConfig context key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-'));
    const file = path.join(dir, 'deploy.yaml');
    writeFileSync(
      file,
      [
        'environments: [{ name: staging, account: "111122223333", region: eu-central-1 }]',
        'scheduleMinutes: 30',
        'allowlists:',
        '  - name: office',
        '    sources: [{ kind: ssm, name: /lists/office }]',
        '    prefixLists: { ipv4: { maxEntries: 10 } }',
      ].join('\n'),
    );
    const config = loadDeploymentConfig((key) => (key === 'allowlistSyncConfig' ? file : undefined));
    expect(config.scheduleMinutes).toBe(30);
    expect(config.allowlists[0]!.sources).toEqual([{ kind: 'ssm', name: '/lists/office', format: { type: 'text' } }]);
  });

  it('prefers the inline allowlistSync context object, and reads config/sample.json by default', () => {
    const inline = fullConfig();
    expect(loadDeploymentConfig((key) => (key === 'allowlistSync' ? inline : undefined)).environments[0]!.name).toBe(
      'test',
    );
    expect(loadDeploymentConfig(() => undefined, ROOT).environments[0]!.name).toBe('prod');
  });

  it('names the file and the fix when the config file is missing', () => {
    const issues = issuesOf(() =>
      loadDeploymentConfig((k) => (k === 'allowlistSyncConfig' ? 'nope.json' : undefined), ROOT),
    );
    expect(issues[0]).toMatch(/cannot read .*nope\.json.*set the context key "allowlistSyncConfig"/);
  });
});

describe('the size checks at synth (4 KB of environment, 4 KB per config parameter)', () => {
  it(
    'refuses at synth an allowlist whose config parameter would not fit, and says what to do',
    () => {
      const config = sampleConfig() as { allowlists: Record<string, unknown>[] };
      config.allowlists[1]!.sources = [
        { kind: 'inline', entries: Array.from({ length: 300 }, (_, i) => `203.0.${i % 256}.0/24`) },
      ];
      const issues = issuesOf(() => synth(config));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(
        /^allowlists\[1\] \("github-hooks"\): its RuntimeConfig entry would be about \d+ bytes once deployed .* over the 4096 bytes of one Standard SSM parameter; move its inline entries to an S3 object or an SSM parameter source/,
      );
    },
    LONG,
  );

  it(
    'accepts the sample config, with room to spare',
    () => {
      const { stack } = synth(sampleConfig());
      // The environment holds the path and the names only; each allowlist's entry is its own parameter.
      expect(stack.sync.environmentBytes).toBeGreaterThan(100);
      expect(stack.sync.environmentBytes).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES / 8);
      expect(Object.keys(stack.sync.parameterBytes)).toEqual(['partners', 'github-hooks']);
      for (const bytes of Object.values(stack.sync.parameterBytes)) {
        expect(bytes).toBeGreaterThan(200);
        expect(bytes).toBeLessThan(PARAMETER_VALUE_LIMIT_BYTES);
      }
    },
    LONG,
  );

  it('counts the environment as the UTF-8 bytes of its JSON', () => {
    expect(environmentSize({ A: 'é' })).toBe('{"A":"é"}'.length + 1);
  });
});
