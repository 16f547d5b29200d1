/**
 * Every relative link of README.md and docs/*.md reaches a file of the repository, and every `#anchor` a heading (by
 * GitHub's slug rule) or an `<a id>` of the page it names. Links inside code blocks are not links.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

/** The pages: README.md and every Markdown file under docs/. */
const pages = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The page's text without fenced code blocks and inline code (whose brackets are not links). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The anchors of a page. GitHub's heading anchor: lower case, punctuation dropped, spaces to "-", repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of text.replace(/^```[\s\S]*?^```$/gm, '').split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const slug = heading[1]!
        .replace(/<[^>]+>/g, '')
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const id of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id[1]!);
  }
  return anchors;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

function linksOf(page: string): Link[] {
  const lines = prose(readFileSync(path.join(ROOT, page), 'utf8')).split('\n');
  return lines.flatMap((text, i) =>
    [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/i.test(target))
      .map((target) => ({ page, line: i + 1, target })),
  );
}

/** What is wrong with a link, or undefined when it works. */
function problemOf(link: Link): string | undefined {
  const [file, anchor] = link.target.split('#') as [string, string | undefined];
  const resolved =
    file === '' ? path.join(ROOT, link.page) : path.resolve(path.dirname(path.join(ROOT, link.page)), file);
  if (!resolved.startsWith(`${ROOT}${path.sep}`)) return `${link.target} points outside the repository`;
  if (!existsSync(resolved)) return `${link.target}: ${path.relative(ROOT, resolved)} does not exist`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md')) return `${link.target}: an anchor into a file that is not Markdown`;
  const anchors = anchorsOf(readFileSync(resolved, 'utf8'));
  return anchors.has(decodeURIComponent(anchor))
    ? undefined
    : `${link.target}: ${path.relative(ROOT, resolved)} has no heading or <a id> "${anchor}"`;
}

describe('links between the pages', () => {
  it('finds the pages and their links (the check below has something to check)', () => {
    expect(pages).toContain('docs/aws-behaviour.md');
    expect(pages.flatMap(linksOf).length).toBeGreaterThan(20);
  });

  it.each(pages)('every relative link of %s reaches its file and anchor', (page) => {
    const problems = linksOf(page).flatMap((link) => {
      const problem = problemOf(link);
      return problem ? [`${link.page}:${link.line}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  it('catches a broken link and a missing anchor (the check can fail)', () => {
    expect(problemOf({ page: 'README.md', line: 1, target: 'docs/no-such-page.md' })).toContain('does not exist');
    expect(problemOf({ page: 'README.md', line: 1, target: 'docs/design.md#p99' })).toContain('no heading');
    expect(problemOf({ page: 'docs/design.md', line: 1, target: '../../outside.md' })).toContain('outside');
    expect(problemOf({ page: 'docs/design.md', line: 1, target: 'aws-behaviour.md#s13' })).toBeUndefined();
  });
});
