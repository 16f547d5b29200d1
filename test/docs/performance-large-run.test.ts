/** docs/performance-large-run.md describes the deployment the bench really builds, and its memory choice is the constant's. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { largeDeployment } from '../../bench/large-deployment';
import { shapeTable } from '../../bench/large-run';
import { BENCH_PARTS } from '../../bench/parts';
import { FUNCTION_MEMORY_MB } from '../../lib/allowlist-sync';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'performance-large-run.md'), 'utf8');

describe('docs/performance-large-run.md', () => {
  it("shows the split of the bench's deployment as bench/large-deployment.ts builds it", () => {
    expect(doc).toContain(shapeTable(largeDeployment()));
  });

  it('names the default memory the construct uses', () => {
    expect(doc).toContain(`## The function's default memory: ${FUNCTION_MEMORY_MB} MB`);
  });

  it('gives commands that exist: the bench script and its --only part', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.bench).toContain('dist/bench/run.js');
    expect(doc).toContain('npm run bench -- --only large-run');
    expect(BENCH_PARTS).toContain('large-run');
  });

  it('runs the WAF planner scaling script from the bench folder the build compiles', () => {
    expect(doc).toContain('node dist/bench/waf-plan-scaling.js');
    expect(existsSync(join(__dirname, '..', '..', 'bench', 'waf-plan-scaling.ts'))).toBe(true);
    const build = JSON.parse(readFileSync(join(__dirname, '..', '..', 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    expect(build.include).toContain('bench');
  });
});
