/**
 * The RuntimeConfig read from SSM (lambda/engine/config-store.ts) against the stateful fake: what the function and
 * `plan --stack` read, each problem named by parameter, and a warm container that sees every change.
 */
import { describe, expect, it } from 'vitest';
import {
  CONFIG_ALLOWLISTS_ENV,
  CONFIG_PATH_ENV,
  type ConfigLocation,
  configParameterName,
  readConfigLocation,
  SsmConfigStore,
} from '../../lambda/engine/config-store';
import { FakeSsm } from '../fakes/fake-ssm';

const PATH = '/allowlist-sync/AllowlistSync-prod/config';

function entry(name: string, groupId = 'sg-0123456789abcdef0') {
  return {
    name,
    sources: [{ kind: 'https', url: `https://lists.example.com/${name}.txt` }],
    targets: [{ kind: 'security-groups', groupIds: [groupId], ports: [{ protocol: 'tcp', from: 443, to: 443 }] }],
    guardrails: {},
  };
}

function seeded(names: readonly string[]): FakeSsm {
  const ssm = new FakeSsm();
  for (const name of names) ssm.seed(configParameterName(PATH, name), 'String', JSON.stringify(entry(name)));
  return ssm;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `list-${String(i + 1).padStart(2, '0')}`);
const location = (allowlists: readonly string[]): ConfigLocation => ({ path: PATH, allowlists });

describe('the RuntimeConfig in SSM parameters', () => {
  it('reads 25 allowlists in 3 GetParametersByPath calls, in the order the environment names them', async () => {
    const expected = names(25).reverse();
    const ssm = seeded(expected);
    const loaded = await new SsmConfigStore(ssm.client, location(expected)).load();
    expect(loaded.config.allowlists.map((a) => a.name)).toEqual(expected);
    expect(loaded.calls).toBe(3);
    expect(ssm.callsOf('GetParametersByPath').map((c) => c.input)).toEqual([
      { Path: PATH, Recursive: false, MaxResults: 10 },
      { Path: PATH, Recursive: false, MaxResults: 10, NextToken: '10' },
      { Path: PATH, Recursive: false, MaxResults: 10, NextToken: '20' },
    ]);
    // Defaults applied by the function's own schema.
    expect(loaded.config.allowlists[0]?.policy.minPrefixLength).toBeDefined();
  });

  it('follows NextToken when SSM returns fewer than asked per page', async () => {
    const ssm = seeded(names(5));
    ssm.byPathPageSize = 2;
    const loaded = await new SsmConfigStore(ssm.client, location(names(5))).load();
    expect(loaded.config.allowlists).toHaveLength(5);
    expect(loaded.calls).toBe(3);
  });

  it('fails on a missing parameter, naming it and the fix, rather than skipping the allowlist', async () => {
    const ssm = seeded(['a', 'c']);
    const error = await new SsmConfigStore(ssm.client, location(['a', 'b', 'c'])).load().catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ConfigError' });
    expect((error as Error).message).toContain(`${PATH}/b: missing; the stack writes one parameter per allowlist`);
  });

  it('lists every bad parameter, each with its field, before throwing once', async () => {
    const ssm = seeded(['a']);
    ssm.seed(configParameterName(PATH, 'b'), 'String', JSON.stringify(entry('b', 'sg-nope')));
    ssm.seed(configParameterName(PATH, 'c'), 'String', '{"name":');
    ssm.seed(configParameterName(PATH, 'd'), 'String', JSON.stringify(entry('e')));
    const error = await new SsmConfigStore(ssm.client, location(['a', 'b', 'c', 'd'])).load().catch((e: Error) => e);
    const message = (error as Error).message;
    expect(message).toContain(`the RuntimeConfig under SSM path ${PATH} is invalid`);
    expect(message).toContain(`${PATH}/b: targets[0].groupIds[0]: a security group id looks like sg-0123456789abcdef0`);
    expect(message).toContain(`${PATH}/c: not valid JSON`);
    expect(message).toContain(`${PATH}/d: holds allowlist "e", expected "d"`);
  });

  it('ignores a parameter the environment does not name (one being removed by a stack update)', async () => {
    const ssm = seeded(['a', 'old']);
    const loaded = await new SsmConfigStore(ssm.client, location(['a'])).load();
    expect(loaded.config.allowlists.map((a) => a.name)).toEqual(['a']);
  });

  it('names the path and the grant when the role may not read it', async () => {
    const ssm = seeded(['a']);
    ssm.failReads(PATH, { name: 'AccessDeniedException', status: 400 });
    const error = await new SsmConfigStore(ssm.client, location(['a'])).load().catch((e: Error) => e);
    expect((error as Error).message).toContain(
      `GetParametersByPath failed: AccessDeniedException: injected AccessDeniedException; allow ssm:GetParametersByPath on the path's ARN (…:parameter${PATH})`,
    );
  });

  it('re-parses only when a parameter changed, and then runs the new ids (a warm container after an update)', async () => {
    const ssm = seeded(['a', 'b']);
    const store = new SsmConfigStore(ssm.client, location(['a', 'b']));
    const first = await store.load();
    const again = await store.load();
    expect(again.config).toBe(first.config);
    expect(again.calls).toBe(1);
    // A stack update replaced a's group: CloudFormation rewrites its parameter, not the function.
    ssm.seed(configParameterName(PATH, 'a'), 'String', JSON.stringify(entry('a', 'sg-0fedcba9876543210')));
    const updated = await store.load();
    expect(updated.config).not.toBe(first.config);
    expect(updated.key).not.toBe(first.key);
    expect(updated.config.allowlists[0]?.targets[0]).toMatchObject({ groupIds: ['sg-0fedcba9876543210'] });
  });
});

describe('the config location in the environment', () => {
  it('is absent without the path, so a hand-deployed function may carry ALLOWLIST_SYNC_CONFIG instead', () => {
    expect(readConfigLocation({})).toBeUndefined();
  });

  it('reads the path and the names', () => {
    expect(readConfigLocation({ [CONFIG_PATH_ENV]: PATH, [CONFIG_ALLOWLISTS_ENV]: 'a,b' })).toEqual({
      path: PATH,
      allowlists: ['a', 'b'],
    });
  });

  it.each([
    [{ [CONFIG_PATH_ENV]: 'no-slash', [CONFIG_ALLOWLISTS_ENV]: 'a' }, '"no-slash"'],
    [{ [CONFIG_PATH_ENV]: PATH }, `${CONFIG_ALLOWLISTS_ENV}=""`],
  ])('refuses %o at init, naming the value and the fix', (env, value) => {
    expect(() => readConfigLocation(env)).toThrow(value);
    expect(() => readConfigLocation(env)).toThrow(/deploy the stack again/);
  });
});
