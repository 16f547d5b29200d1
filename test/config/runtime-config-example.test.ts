import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { buildAllowlist, inlineInput } from '../../lambda/core/allowlist';

const root = resolve(__dirname, '../..');
const example = JSON.parse(readFileSync(resolve(root, 'examples/runtime-config.json'), 'utf8')) as unknown;

describe('the RuntimeConfig example (examples/runtime-config.json)', () => {
  it('parses with the schema the function and the CLI use', () => {
    const config = parseRuntimeConfig(example);
    expect(config.allowlists.map((a) => a.name)).toEqual(['partners', 'cloudfront']);
    expect(config.allowlists[1]?.guardrails).toEqual({ maxRemovedShare: 0.3, removalsAlwaysAllowed: 10 });
  });

  it('has inline entries that the default policy accepts', () => {
    const config = parseRuntimeConfig(example);
    const partners = config.allowlists[0]!;
    const inline = partners.sources.find((s) => s.kind === 'inline');
    if (inline?.kind !== 'inline') throw new Error('the example lost its inline source');
    const built = buildAllowlist([inlineInput(inline.entries)], partners.policy, new Date());
    expect(built.cidrs[4]).toEqual(['81.2.69.160/27']);
    expect(built.cidrs[6]).toEqual(['2a02:8108:1000::/40']);
  });

  it('is the example docs/configuration.md shows', () => {
    const page = readFileSync(resolve(root, 'docs/configuration.md'), 'utf8');
    const section = page.slice(page.indexOf('## Configuration: the RuntimeConfig'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block, 'docs/configuration.md has no json block in its RuntimeConfig section').toBeDefined();
    expect(JSON.parse(block!)).toEqual(example);
  });
});
