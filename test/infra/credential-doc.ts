/** The examples of docs/credential-binding.md as data, so tests check exactly what the page shows. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { WafRequest } from '../waf/evaluator';

const PAGE = path.resolve(__dirname, '../../docs/credential-binding.md');

function section(heading: string): string {
  const page = readFileSync(PAGE, 'utf8');
  const start = page.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`docs/credential-binding.md has no section "${heading}"`);
  const end = page.indexOf('\n## ', start + 4);
  return page.slice(start, end < 0 ? undefined : end);
}

/** Rows of the first markdown table in `text` whose header row starts with `firstColumn`, as trimmed cells. */
function tableRows(text: string, firstColumn: string): string[][] {
  const lines = text.split('\n');
  const head = lines.findIndex((l) => l.startsWith(`| ${firstColumn} |`));
  if (head < 0) throw new Error(`no table starting with "${firstColumn}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** The worked example's deployment config (the section's JSON block). */
export function docExampleConfig(): Record<string, unknown> {
  const text = section('Worked example');
  const match = /```json\n([\s\S]*?)\n```/.exec(text);
  if (!match) throw new Error('the worked example has no JSON block');
  return JSON.parse(match[1]!) as Record<string, unknown>;
}

/** The worked example's request table, one case per row. */
export function docCases(): { name: string; request: WafRequest; action: 'ALLOW' | 'BLOCK'; label?: string }[] {
  return tableRows(section('Worked example'), 'request header').map(([header, from, verdict, label]) => {
    const headers: [string, string][] = [];
    if (header !== '(none)') {
      const h = /^`([^:`]+): ([^`]*)`$/.exec(header!);
      if (!h) throw new Error(`cannot read the request header cell ${header}`);
      headers.push([h[1]!, h[2]!]);
    }
    const source = from!.split(' ')[0]!;
    if (!/^(allowed|blocked)/.test(verdict!)) throw new Error(`cannot read the verdict ${verdict}`);
    const l = /^`([^`]+)`$/.exec(label ?? '');
    return {
      name: `${header} from ${from}`,
      request: { source, headers },
      action: verdict!.startsWith('allowed') ? 'ALLOW' : 'BLOCK',
      ...(l ? { label: l[1]! } : {}),
    };
  });
}

/** The capacity table: partners, client address, WCU per partner, rule groups, web ACL WCU, as printed. */
export function docCapacityRows(): string[][] {
  return tableRows(section('What the stack creates'), 'partners');
}
