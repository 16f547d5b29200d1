/**
 * `plan --stack NAME`: the RuntimeConfig a deployed stack wrote to SSM, read with the function's own loader over the
 * SSM fake, then handed to the engine; every failure names the stack or the parameter and the fix, and runs nothing.
 */
import { describe, expect, it, vi } from 'vitest';
import { createPlanCommand } from '../../bin/commands/plan';
import { readStackConfig } from '../../bin/commands/stack-config';
import type { RuntimeConfig } from '../../lambda/config';
import {
  configAllowlistsParameterName,
  configParameterName,
  configParameterPath,
} from '../../lambda/engine/config-store';
import type { RunOptions } from '../../lambda/function/invocation';
import { FakeSsm } from '../fakes/fake-ssm';
import { runReport } from '../handler/helpers';
import { memoryIo } from './local-aws';

const STACK = 'AllowlistSync-prod';
const entry = (name: string) => ({
  name,
  sources: [{ kind: 'https', url: `https://lists.example.com/${name}.txt` }],
  targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
  guardrails: {},
});

function deployed(names: readonly string[], written = names): FakeSsm {
  const ssm = new FakeSsm();
  ssm.seed(configAllowlistsParameterName(STACK), 'String', names.join(','));
  for (const name of written) {
    ssm.seed(configParameterName(configParameterPath(STACK), name), 'String', JSON.stringify(entry(name)));
  }
  return ssm;
}

function planWith(ssm: FakeSsm) {
  const engine = vi.fn(async (_c: RuntimeConfig, o: RunOptions, _d: string) => runReport({ dryRun: o.dryRun }));
  const plan = createPlanCommand('plan', async () => ({
    engine,
    engineDeps: () => 'deps',
    stackConfig: (stack) => readStackConfig(ssm.client, stack),
  }));
  return { plan, engine };
}

describe('plan --stack NAME', () => {
  it('runs the engine on the config the stack wrote, in the order it names the allowlists', async () => {
    const ssm = deployed(['partners', 'offices']);
    const { plan, engine } = planWith(ssm);
    const io = memoryIo();
    await plan.run(['--stack', STACK], io);
    expect(io.err()).toBe('');
    expect(engine.mock.calls[0]?.[0].allowlists.map((a) => a.name)).toEqual(['partners', 'offices']);
    expect(engine.mock.calls[0]?.[1]).toEqual({ dryRun: true, trigger: 'cli' });
    expect(ssm.calls.map((c) => c.command)).toEqual(['GetParameter', 'GetParametersByPath']);
  });

  it('names the stack, the Region flag and the fix when no such stack was deployed', async () => {
    const { plan, engine } = planWith(new FakeSsm());
    const io = memoryIo();
    expect(await plan.run(['--stack', 'AllowlistSync-typo'], io)).toBe(1);
    expect(io.err()).toContain('stack AllowlistSync-typo is invalid');
    expect(io.err()).toContain(
      `${configAllowlistsParameterName('AllowlistSync-typo')}: ParameterNotFound: Parameter ${configAllowlistsParameterName('AllowlistSync-typo')} not found.; no allowlist-sync stack "AllowlistSync-typo" is deployed here: check the stack name (or the construct's namePrefix) and the Region (--region)`,
    );
    expect(engine).not.toHaveBeenCalled();
  });

  it('names the grants when the credentials may not read the parameters', async () => {
    const ssm = deployed(['partners']);
    ssm.failReads(configAllowlistsParameterName(STACK), { name: 'AccessDeniedException', status: 400 });
    const io = memoryIo();
    expect(await planWith(ssm).plan.run(['--stack', STACK], io)).toBe(1);
    expect(io.err()).toContain(
      `your credentials need ssm:GetParameter on ${configAllowlistsParameterName(STACK)} and ssm:GetParametersByPath on ${configParameterPath(STACK)}`,
    );
  });

  it('names a missing allowlist parameter instead of planning without it', async () => {
    const { plan, engine } = planWith(deployed(['partners', 'offices'], ['partners']));
    const io = memoryIo();
    expect(await plan.run(['--stack', STACK], io)).toBe(1);
    expect(io.err()).toContain(`${configParameterPath(STACK)}/offices: missing`);
    expect(engine).not.toHaveBeenCalled();
  });

  it.each([[['--stack', STACK, '--config', 'x.json']], [[]]])(
    'takes exactly one of --config and --stack (%j)',
    async (argv) => {
      const io = memoryIo();
      expect(await planWith(new FakeSsm()).plan.run(argv, io)).toBe(1);
      expect(io.err()).toContain('give either --config FILE or --stack NAME (one of the two)');
    },
  );

  it('refuses a stack name SSM could not hold, naming it', async () => {
    const io = memoryIo();
    expect(await planWith(new FakeSsm()).plan.run(['--stack', 'a/b'], io)).toBe(1);
    expect(io.err()).toContain('--stack "a/b": a stack name (or namePrefix) has only letters, digits');
  });
});
