/**
 * Examples in the documentation that tests run: a fenced code block right after an `<!-- example: NAME -->` line.
 * Tests take the example from the page, so what a reader copies is what was checked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root. */
const ROOT = path.resolve(__dirname, '../..');

/** The code of the block marked `<!-- example: name -->` in `file` (relative to the repository root). */
export function docExample(file: string, name: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const marker = `<!-- example: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file} has no "${marker}": put it on the line before the example's code block`);
  const block = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`${file}: "${marker}" is not followed by a fenced code block`);
  return block[1]!;
}
