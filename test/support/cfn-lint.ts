/**
 * AWS's CloudFormation linter (`cfn-lint`, 1.51 on this machine kind) over a synthesized template: its findings as
 * data, so a test can require zero errors and compare warnings with the accepted list. Use with `cfnLintTool` from
 * here and `describe.skipIf(!cfnLintTool.available)`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandRuns, externalTool } from './external-tools';

/** cfn-lint, probed once per test file. */
export const cfnLintTool = externalTool(
  'cfn-lint',
  () => commandRuns('cfn-lint', ['--version']),
  "pip install 'cfn-lint==1.51.*'",
);

/** One finding of cfn-lint. */
export interface CfnLintFinding {
  readonly level: 'Error' | 'Warning' | 'Informational';
  readonly rule: string;
  readonly message: string;
  /** Where in the template, for example `Resources/Fn/Properties/Runtime`. */
  readonly path: string;
}

interface RawFinding {
  Level: CfnLintFinding['level'];
  Rule: { Id: string };
  Message: string;
  Location: { Path: Array<string | number> | null };
}

/** Lints one template (the object `Template.toJSON()` or `app.synth()` gives) and returns every finding. */
export function lintTemplate(template: unknown, regions: readonly string[] = ['us-east-1']): CfnLintFinding[] {
  const dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  try {
    const file = join(dir, 'template.json');
    writeFileSync(file, JSON.stringify(template));
    const result = spawnSync('cfn-lint', ['--format', 'json', '--regions', ...regions, '--', file], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
    // cfn-lint exits with a bit mask of the levels it found (2 errors, 4 warnings, 8 informational); 1 is its own failure.
    if (result.error !== undefined || result.status === null || (result.status & 1) === 1) {
      throw new Error(`cfn-lint failed (exit ${result.status}): ${result.error?.message ?? result.stderr}`);
    }
    const raw = JSON.parse(result.stdout === '' ? '[]' : result.stdout) as RawFinding[];
    return raw.map((f) => ({
      level: f.Level,
      rule: f.Rule.Id,
      message: f.Message,
      path: (f.Location.Path ?? []).join('/'),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
