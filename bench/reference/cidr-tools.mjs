// Reference for `npm run bench`: aggregate a list with the npm package cidr-tools (mergeCidr), print one a line.
// Whole process, like every tool in the benchmark: read the file, split, merge, print.
import { readFileSync } from 'node:fs';
import { mergeCidr } from 'cidr-tools';

const lines = [];
for (const file of process.argv.slice(2)) {
  for (const raw of readFileSync(file, 'latin1').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line) lines.push(line);
  }
}
process.stdout.write(`${mergeCidr(lines).join('\n')}\n`);
