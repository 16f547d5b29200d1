/**
 * docs/configuration.md, the deployment config part: the sample it shows is config/sample.json, the refused config
 * fails with exactly the output shown, and the reference table is the one generated from the schemas, naming every
 * field and no other. `UPDATE_CONFIG_REFERENCE=1` rewrites the table and the output after a deliberate change.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { loadDeploymentConfig } from '../../lib/load-deployment-config';
import { docExample } from '../support/doc-examples';
import { configFields } from './config-fields';
import { FIELD_DOCS, renderConfigReference } from './config-reference';

const ROOT = path.resolve(__dirname, '../..');
const PAGE = path.join(ROOT, 'docs', 'configuration.md');
const START = '<!-- config-reference:start -->';
const END = '<!-- config-reference:end -->';
const UPDATE = process.env.UPDATE_CONFIG_REFERENCE === '1';

/** The page's text between the two markers. */
function tableOnPage(): string {
  const page = readFileSync(PAGE, 'utf8');
  return page.slice(page.indexOf(START) + START.length, page.indexOf(END)).trim();
}

/** The refusal of the page's bad config, read from a file as `cdk synth -c allowlistSyncConfig=config/bad.json` does. */
function refusalOfExample(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-doc-'));
  mkdirSync(path.join(dir, 'config'));
  writeFileSync(path.join(dir, 'config', 'bad.json'), docExample('docs/configuration.md', 'config-errors'));
  try {
    loadDeploymentConfig((key) => (key === 'allowlistSyncConfig' ? 'config/bad.json' : undefined), dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the example config of docs/configuration.md was accepted');
}

describe('docs/configuration.md, the deployment config', () => {
  it('shows config/sample.json as the sample', () => {
    const sample = JSON.parse(readFileSync(path.join(ROOT, 'config', 'sample.json'), 'utf8'));
    expect(JSON.parse(docExample('docs/configuration.md', 'sample-deployment-config'))).toEqual(sample);
  });

  it('shows exactly the refusal its bad config gets', () => {
    const refusal = refusalOfExample();
    const shown = docExample('docs/configuration.md', 'config-errors-output').trimEnd();
    if (UPDATE && refusal !== shown) writeFileSync(PAGE, readFileSync(PAGE, 'utf8').replace(shown, refusal));
    else expect(shown).toBe(refusal);
    // Four problems in four places, each with its full path.
    expect(refusal.split('\n').filter((l) => l.startsWith('  ✖ environments[1].allowlists.'))).toHaveLength(4);
  });

  it('has a meaning for every field of the schema, and none for a field that does not exist', () => {
    const fields = configFields().map((f) => f.path);
    expect(fields.length).toBeGreaterThan(90);
    expect(fields.filter((f) => !(f in FIELD_DOCS))).toEqual([]);
    expect(Object.keys(FIELD_DOCS).filter((k) => !fields.includes(k))).toEqual([]);
  });

  it('has a reference table naming every field of the schema and no other, in schema order', () => {
    const onPage = tableOnPage()
      .split('\n')
      .slice(2)
      .map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1]);
    expect(onPage).toEqual(configFields().map((f) => f.path));
  });

  it('has the reference table generated from the schemas', () => {
    const generated = renderConfigReference();
    if (UPDATE && tableOnPage() !== generated) {
      const page = readFileSync(PAGE, 'utf8');
      writeFileSync(
        PAGE,
        `${page.slice(0, page.indexOf(START) + START.length)}\n${generated}\n${page.slice(page.indexOf(END))}`,
      );
    }
    expect(tableOnPage(), 'run UPDATE_CONFIG_REFERENCE=1 npx vitest run test/docs/configuration.test.ts').toBe(
      generated,
    );
  });
});
