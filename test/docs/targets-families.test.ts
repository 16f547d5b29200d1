/**
 * The `families` example of docs/targets.md: its RuntimeConfig parses, and `plan` on it over empty targets (the real
 * drivers against the fakes) prints exactly the text the page shows, with the left-out line.
 */
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { formatPlanText } from '../../lambda/core/report';
import { runEngine } from '../../lambda/engine';
import { fakeEngineDeps } from '../engine/fake-deps';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { docExample } from '../support/doc-examples';

const PAGE = 'docs/targets.md';

describe('docs/targets.md: address families', () => {
  it('plans the example as the page shows', async () => {
    const text = docExample(PAGE, 'targets-families');
    const ec2 = new FakeEc2();
    const waf = new FakeWafv2({ enforceWriteRate: false });
    const pl = ec2.createPrefixList({ family: 4, maxEntries: 20 });
    const v4 = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: [] }).Id;
    const v6 = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v6', family: 'IPV6', addresses: [] }).Id;
    // The page's ids are placeholders: the fakes hand out their own.
    const config = parseRuntimeConfig(
      JSON.parse(
        text
          .replace('pl-0123456789abcdef0', pl)
          .replace('a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', v4)
          .replace('a1b2c3d4-5678-90ab-cdef-EXAMPLE22222', v6),
      ),
    );
    const report = await runEngine(config, { dryRun: true, trigger: 'cli' }, fakeEngineDeps(ec2, waf));
    const printed = formatPlanText(report, { color: false }).replace(pl, 'pl-0123456789abcdef0');
    expect(printed).toBe(docExample(PAGE, 'targets-families-plan'));
    expect(report.allowlists[0]?.targets[0]?.leftOut).toEqual({ family: 6, prefixes: 2 });
  });
});
