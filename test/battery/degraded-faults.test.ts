/**
 * Battery B's two P5 findings as small deterministic scenarios, with the real security-group driver on the EC2 fake:
 * a pool whose quota cannot hold the old and the new list at once (a /24 widened to its /23 with every rule slot
 * used) must give up P5 for a step, and the report must say so even when a fault ends the degraded attempt early.
 * Seed 20807: a timeout after the authorize took effect, the SDK retried into InvalidPermission.Duplicate, the engine
 * re-planned cleanly and reported `changed`. Seed 20598: the revoke's retries ran out and the target `failed` with no
 * trace of the degraded steps. A control with one more rule of quota shows the same faults cause no P5 miss at all.
 */
import { describe, expect, it } from 'vitest';
import type { FaultRule } from '../fakes';
import { degradedTargets, type Layout, World } from './world';

const OLD = ['198.18.10.0/24', '198.18.20.0/24', '198.18.30.0/24'];
// 198.18.20.0/24 widens to its /23 and 198.18.10.0/24 goes: with 3 rule slots, one step admits neither list.
const NEXT = ['198.18.20.0/23', '198.18.30.0/24'];

function layout(ipv4Quota: number): Layout {
  return {
    sg: {
      groups: 1,
      ports: [{ protocol: 'tcp', from: 443, to: 443 }],
      quota: { ipv4: ipv4Quota, ipv6: 4 },
      unowned: [],
    },
  };
}

async function scenario(ipv4Quota: number, faults: FaultRule[]) {
  const w = new World(layout(ipv4Quota));
  const setup = await w.run(OLD);
  expect(setup.status).toBe('ok');
  w.expect(OLD, NEXT);
  for (const f of faults) w.ec2.inject(f);
  const before = w.ec2.calls.length;
  const report = await w.run(NEXT);
  const calls = w.ec2.calls.slice(before);
  const misses = w.p5.length;
  w.settleP5(report);
  w.ec2.clearFaults();
  const again = await w.run(NEXT);
  return { w, calls, report, misses, target: report.allowlists[0]?.targets[0], again };
}

const timeoutOnAuthorize: FaultRule[] = [{ command: 'AuthorizeSecurityGroupIngress', fault: 'timeout-after-write' }];
const revokeRetriesRunOut: FaultRule[] = [
  { command: 'RevokeSecurityGroupIngress', fault: 'throttle' },
  { command: 'RevokeSecurityGroupIngress', fault: 'timeout-after-write', times: 2 },
];

describe('a degraded security-group change under faults (battery B seeds 20807 and 20598)', () => {
  it('reports `degraded` when a Duplicate after a timeout makes the engine finish with a clean re-plan', async () => {
    const { w, calls, report, misses, target } = await scenario(3, timeoutOnAuthorize);
    expect(calls.filter((c) => c.command === 'AuthorizeSecurityGroupIngress').map((c) => c.errorName)).toEqual([
      'TimeoutError',
      'InvalidPermission.Duplicate',
    ]);
    expect(misses).toBeGreaterThan(0);
    // Revoke, authorize (timed out after it took effect; the SDK's retry got Duplicate), then the re-plan's revoke.
    expect(target).toMatchObject({ status: 'degraded', degraded: true, writeCalls: 3 });
    expect(report.status).toBe('degraded');
    expect(w.violations).toEqual([]);
    expect(w.mismatches(NEXT)).toEqual([]);
  });

  it('reports `failed` with the degraded flag when the SDK retries of a degraded step run out', async () => {
    const { w, report, misses, target, again } = await scenario(3, revokeRetriesRunOut);
    // One revoke call (three attempts by the SDK): it took effect, so the report must not say 0 write calls.
    expect(target).toMatchObject({ status: 'failed', degraded: true, writeCalls: 1, error: { name: 'TimeoutError' } });
    expect(degradedTargets(report)).toEqual([target?.targetId]);
    expect(misses).toBeGreaterThan(0);
    expect(w.violations).toEqual([]);
    expect(again.status).toBe('ok');
    expect(w.mismatches(NEXT)).toEqual([]);
  });

  it.each([
    ['a timeout on the authorize', timeoutOnAuthorize],
    ['the revoke retries running out', revokeRetriesRunOut],
  ])(
    'keeps P5 at every write and reports no degradation with one more rule of quota, despite %s',
    async (_, faults) => {
      const { w, misses, target } = await scenario(4, faults);
      expect(w.ec2.writes().some((c) => c.fault !== undefined)).toBe(true);
      expect(misses).toBe(0);
      expect(target).not.toHaveProperty('degraded');
      expect(w.violations).toEqual([]);
    },
  );
});
