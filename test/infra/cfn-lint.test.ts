/**
 * cfn-lint, AWS's CloudFormation linter, over every template the repository's deployment configs synthesize: the
 * sample (`config/sample.json`) and the kitchen sink (`config/kitchen-sink.json`, every deployment option). Zero
 * errors; every warning must be in test/infra/cfn-lint-accepted.ts with its reason, and every entry there must still
 * occur. Each template is linted once, in its own Region. Skipped with one install line where cfn-lint is missing;
 * required in CI (ALLOWLIST_SYNC_REQUIRE_TOOLS=1).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnLintFinding, cfnLintTool, lintTemplate } from '../support/cfn-lint';
import { ACCEPTED_WARNINGS, type AcceptedWarning } from './cfn-lint-accepted';
import { ROOT, repositoryConfig, synthAll } from './synth';

const LONG = 600_000;
const CONFIGS = ['sample.json', 'kitchen-sink.json'];

interface Linted {
  readonly template: string;
  readonly findings: readonly CfnLintFinding[];
}

const accepts = (a: AcceptedWarning, f: CfnLintFinding) =>
  a.rule === f.rule && a.path.test(f.path) && a.message.test(f.message);
const show = (l: Linted, f: CfnLintFinding) => `${l.template}: ${f.level} ${f.rule} at ${f.path}: ${f.message}`;

describe.skipIf(!cfnLintTool.available)('cfn-lint over every synthesized template', () => {
  const linted: Linted[] = [];
  beforeAll(() => {
    for (const config of CONFIGS) {
      for (const { stackName, region, template } of synthAll(repositoryConfig(config))) {
        linted.push({ template: `${config} ${stackName}`, findings: lintTemplate(template, [region]) });
      }
    }
    const all = linted.flatMap((l) => l.findings);
    console.log(
      `cfn-lint: ${linted.length} templates, ${all.filter((f) => f.level === 'Error').length} errors, ` +
        `${all.filter((f) => f.level !== 'Error').length} warnings (${[...new Set(all.map((f) => f.rule))].sort().join(', ') || 'none'})`,
    );
  }, LONG);

  it('matches the figures docs/template-lint.md gives', () => {
    const all = linted.flatMap((l) => l.findings);
    const errors = all.filter((f) => f.level === 'Error').length;
    const warnings = all.length - errors;
    const doc = readFileSync(path.join(ROOT, 'docs', 'template-lint.md'), 'utf8');
    expect(doc).toContain(`${linted.length} templates linted, ${errors} errors, ${warnings} warnings accepted`);
  });

  it('lints one template per environment of each repository config', () => {
    expect(linted.map((l) => l.template)).toEqual([
      'sample.json AllowlistSync-prod',
      'sample.json AllowlistSync-staging',
      'sample.json AllowlistSync-edge',
      'kitchen-sink.json AllowlistSync-kitchen-sink',
      'kitchen-sink.json AllowlistSync-kitchen-sink-eu',
    ]);
  });

  it('finds no error in any template', () => {
    const errors = linted.flatMap((l) => l.findings.filter((f) => f.level === 'Error').map((f) => show(l, f)));
    expect(errors).toEqual([]);
  });

  it('finds no warning that is not in the accepted list', () => {
    const unlisted = linted.flatMap((l) =>
      l.findings
        .filter((f) => f.level !== 'Error' && !ACCEPTED_WARNINGS.some((a) => accepts(a, f)))
        .map((f) => show(l, f)),
    );
    expect(unlisted, 'fix the template, or add the warning with its reason to cfn-lint-accepted.ts').toEqual([]);
  });

  it('still finds every accepted warning (an entry nothing matches any more is removed)', () => {
    const stale = ACCEPTED_WARNINGS.filter((a) => !linted.some((l) => l.findings.some((f) => accepts(a, f))));
    expect(stale.map((a) => `${a.rule} ${a.path}`)).toEqual([]);
  });
});

describe.skipIf(!cfnLintTool.available)('lintTemplate', () => {
  it('reports an error cfn-lint finds, so the checks above can fail', () => {
    const findings = lintTemplate({ Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { Nope: 1 } } } });
    expect(findings).toContainEqual(
      expect.objectContaining({ level: 'Error', path: expect.stringMatching(/^Resources\/Topic\/Properties/) }),
    );
  });
});

describe('docs/template-lint.md', () => {
  it('shows every accepted warning with its rule and reason', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'template-lint.md'), 'utf8');
    const rows = doc.split('\n').filter((line) => /^\| W\d{4} \|/.test(line));
    expect(rows).toHaveLength(ACCEPTED_WARNINGS.length);
    ACCEPTED_WARNINGS.forEach((a, i) => {
      expect(rows[i]).toMatch(new RegExp(`^\\| ${a.rule} \\|`));
      expect(rows[i]).toContain(`| ${a.reason} |`);
    });
  });
});
