/** bench/synth-scale.ts builds valid deployments of many environments, and docs/performance.md shows its table. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_PARTS } from '../../bench/parts';
import { deploymentConfigFor, synthScaleTable } from '../../bench/synth-scale';
import { parseDeploymentConfig } from '../../lib/deployment-config';

const ROOT = join(__dirname, '..', '..');

describe('the synth-scale bench', () => {
  it.each([1, 10, 50])('builds a valid deployment config of %i environments, each its own account', (n) => {
    const config = parseDeploymentConfig(deploymentConfigFor(n));
    expect(config.environments).toHaveLength(n);
    expect(new Set(config.environments.map((e) => e.account)).size).toBe(n);
    expect(new Set(config.environments.map((e) => e.name)).size).toBe(n);
    // The sample's allowlists, unchanged.
    const sample = parseDeploymentConfig(JSON.parse(readFileSync(join(ROOT, 'config', 'sample.json'), 'utf8')));
    expect(config.allowlists).toEqual(sample.allowlists);
  });

  it('spreads 10 or more environments over eight Regions', () => {
    const regions = new Set(parseDeploymentConfig(deploymentConfigFor(10)).environments.map((e) => e.region));
    expect(regions.size).toBe(8);
  });

  it('prints the table whose columns docs/performance.md shows, one row per count', () => {
    const figures = { wallMs: 2500, maxRssMb: 480, templates: 2, bundlings: 1, functionCodeAssets: 1, stagedAssets: 2 };
    const table = synthScaleTable([{ environments: 2, ...figures }]).split('\n');
    expect(table.at(-1)).toBe('| 2 | 2.5 | 1.25 | 480 | 2 | 1 | 1 | 2 |');
    const doc = readFileSync(join(ROOT, 'docs', 'performance.md'), 'utf8');
    expect(doc).toContain(`${table[2]}\n${table[3]}`);
    expect(doc).toContain('npm run bench -- --only synth-scale');
    expect(BENCH_PARTS).toContain('synth-scale');
  });
});
