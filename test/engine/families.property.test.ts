/**
 * Property (docs/design.md P14), over the real drivers and the stateful fakes: for random lists of both families and
 * random targets (prefix lists, WAF pools, group pools) each taking IPv4, IPv6 or both, one run
 * - never sends a one-family target a prefix of the other family (every write call's CIDRs, by the resource written),
 * - leaves each target admitting exactly its family part of the list, and reports the rest as left out,
 * - applies, over all targets, exactly the families that some target takes (and the list has),
 * and a second run writes nothing (P2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig, type RuntimeConfigInput } from '../../lambda/config';
import { runEngine } from '../../lambda/engine';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { fakeEngineDeps } from './fake-deps';

type Fam = 4 | 6;
type Kind = 'prefix-lists' | 'waf-ip-sets' | 'security-groups';
interface Spec {
  readonly kind: Kind;
  /** undefined: families unset (both). */
  readonly families: readonly Fam[] | undefined;
}

// Non-adjacent blocks, so the aggregate of any subset is the subset itself.
const V4 = Array.from({ length: 8 }, (_, i) => `11.${2 * i}.0.0/24`);
const V6 = Array.from({ length: 8 }, (_, i) => `2600:1f14:${(2 * i + 1).toString(16)}::/48`);
const familyOf = (cidr: string): Fam => (cidr.includes(':') ? 6 : 4);
const BOTH: readonly Fam[] = [4, 6];
const CIDR = /^[0-9a-f.:]+\/\d+$/i;

/** Every CIDR-looking string anywhere in a call's input. */
function cidrsIn(value: unknown): string[] {
  if (typeof value === 'string') return CIDR.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(cidrsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(cidrsIn);
  return [];
}

const specArb = fc.record({
  kind: fc.constantFrom<Kind>('prefix-lists', 'waf-ip-sets', 'security-groups'),
  families: fc.constantFrom<readonly Fam[] | undefined>([4], [6], [4, 6], undefined),
});

async function runOnce(entries: string[], specs: readonly Spec[]) {
  const ec2 = new FakeEc2();
  const waf = new FakeWafv2({ enforceWriteRate: false });
  const owner = new Map<string, number>();
  const targets = specs.map((spec, index): RuntimeConfigInput['allowlists'][number]['targets'][number] => {
    const takes = spec.families ?? BOTH;
    const families = spec.families?.map((f) => (f === 4 ? ('ipv4' as const) : ('ipv6' as const)));
    const extra = families ? { families } : {};
    if (spec.kind === 'security-groups') {
      const group = ec2.createSecurityGroup();
      owner.set(group, index);
      return { kind: 'security-groups', groupIds: [group], ports: [{ protocol: 'tcp', from: 443, to: 443 }], ...extra };
    }
    if (spec.kind === 'prefix-lists') {
      const ids: { ipv4?: string; ipv6?: string } = {};
      for (const f of takes) {
        const id = ec2.createPrefixList({ family: f, maxEntries: 20 });
        owner.set(id, index);
        ids[f === 4 ? 'ipv4' : 'ipv6'] = id;
      }
      return { kind: 'prefix-lists', ...ids, ...extra };
    }
    const sets: { ipv4: { name: string; id: string }[]; ipv6: { name: string; id: string }[] } = { ipv4: [], ipv6: [] };
    for (const f of takes) {
      const name = `t${index}-v${f}`;
      const id = waf.createIpSet({ scope: 'REGIONAL', name, family: f === 4 ? 'IPV4' : 'IPV6', addresses: [] }).Id;
      owner.set(id, index);
      sets[f === 4 ? 'ipv4' : 'ipv6'].push({ name, id });
    }
    return { kind: 'waf-ip-sets', scope: 'REGIONAL', ...sets, ...extra };
  });
  const taken = new Set(specs.flatMap((s) => s.families ?? BOTH));
  const leaveOut = ([4, 6] as const).filter((f) => !taken.has(f)).map((f) => (f === 4 ? 'ipv4' : 'ipv6'));
  const config = parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries }],
        policy: { allowEmpty: true, ...(leaveOut.length > 0 ? { leaveOutFamilies: leaveOut } : {}) },
        targets,
      },
    ],
  });
  const deps = fakeEngineDeps(ec2, waf);
  const report = await runEngine(config, { dryRun: false, trigger: 'manual' }, deps);
  const writes = [...ec2.writes(), ...waf.calls.filter((c) => c.write)];
  const again = await runEngine(config, { dryRun: false, trigger: 'manual' }, deps);
  const writesAfter = ec2.writes().length + waf.calls.filter((c) => c.write).length;
  /** What target `index` admits now, by CIDR. */
  const held = (index: number): string[] =>
    [...owner.entries()]
      .filter(([, i]) => i === index)
      .flatMap(([id]) =>
        id.startsWith('sg-')
          ? ec2
              .rules(id)
              .filter((r) => !r.isEgress)
              .map((r) => r.cidr ?? '')
          : id.startsWith('pl-')
            ? ec2.entries(id)
            : waf.addresses(id),
      );
  return { report, writes, again, writesAfter, writesBefore: writes.length, owner, held };
}

describe('one-family targets (property, fakes)', () => {
  it('never receive the other family; the run applies exactly the families the targets take', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(V4),
        fc.subarray(V6),
        fc.array(specArb, { minLength: 1, maxLength: 3 }),
        async (v4, v6, specs) => {
          const entries = [...v4, ...v6];
          fc.pre(entries.length > 0);
          const run = await runOnce(entries, specs);
          expect(run.report.status).toBe('ok');
          for (const call of run.writes) {
            const input = call.input as { GroupId?: string; PrefixListId?: string; Id?: string };
            const index = run.owner.get(input.GroupId ?? input.PrefixListId ?? input.Id ?? '');
            expect(index).toBeDefined();
            const takes = specs[index!]!.families ?? BOTH;
            for (const cidr of cidrsIn(call.input)) expect(takes).toContain(familyOf(cidr));
          }
          const applied = new Set<Fam>();
          specs.forEach((spec, index) => {
            const takes = spec.families ?? BOTH;
            const part = entries.filter((c) => takes.includes(familyOf(c)));
            expect([...new Set(run.held(index))].sort()).toEqual([...part].sort());
            for (const c of run.held(index)) applied.add(familyOf(c));
            const other = ([4, 6] as const).find((f) => !takes.includes(f));
            const leftOut = other
              ? { family: other, prefixes: entries.filter((c) => familyOf(c) === other).length }
              : undefined;
            expect(run.report.allowlists[0]?.targets[index]?.leftOut).toEqual(leftOut);
          });
          const taken = new Set(specs.flatMap((s) => s.families ?? BOTH));
          const present = new Set(entries.map(familyOf));
          expect([...applied].sort()).toEqual([...taken].filter((f) => present.has(f)).sort());
          expect(run.again.allowlists[0]?.targets.every((t) => t.status === 'unchanged')).toBe(true);
          expect(run.writesAfter).toBe(run.writesBefore);
        },
      ),
      { numRuns: 60, seed: 20261203 },
    );
  }, 120_000);
});
