import * as fs from 'node:fs';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AtomicFs, writeFileAtomic } from '../../bin/commands/write-atomic';

function dirWithOld(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
  const file = path.join(dir, 'allow.conf');
  writeFileSync(file, 'allow 192.0.2.0/24;\ndeny all;\n');
  chmodSync(file, 0o640);
  return { dir, file };
}

/** The real fs with one call replaced by a failure (as ENOSPC, EIO or EXDEV would come). */
function failing(call: keyof AtomicFs): AtomicFs {
  return {
    ...fs,
    [call]: () => {
      throw Object.assign(new Error(`${call}: injected failure`), { code: 'EIO' });
    },
  } as AtomicFs;
}

describe('writeFileAtomic', () => {
  it('replaces the file and keeps its mode, leaving no temporary file', () => {
    const { dir, file } = dirWithOld();
    expect(writeFileAtomic(file, Buffer.from('deny all;\n'))).toEqual({ changed: true });
    expect(readFileSync(file, 'utf8')).toBe('deny all;\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['allow.conf']);
  });

  it('creates a missing file with mode 0644', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
    const file = path.join(dir, 'new.ipset');
    expect(writeFileAtomic(file, Buffer.from('x\n'))).toEqual({ changed: true });
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it.each(['writeSync', 'fsyncSync', 'fchmodSync', 'renameSync'] as const)(
    'leaves the old file byte for byte, and no temporary file, when %s fails',
    (call) => {
      const { dir, file } = dirWithOld();
      const before = readFileSync(file);
      expect(() => writeFileAtomic(file, Buffer.from('deny all;\n'), failing(call))).toThrow(
        `${call}: injected failure`,
      );
      expect(readFileSync(file)).toEqual(before);
      expect(readdirSync(dir)).toEqual(['allow.conf']);
    },
  );

  it('fails without writing anything when the directory does not exist', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
    expect(() => writeFileAtomic(path.join(dir, 'missing', 'x.conf'), Buffer.from('x'))).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not rewrite a file that already holds the same bytes (its mtime stays)', () => {
    const { file } = dirWithOld();
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(file, old, old);
    expect(writeFileAtomic(file, readFileSync(file))).toEqual({ changed: false });
    expect(statSync(file).mtime.toISOString()).toBe(old.toISOString());
    expect(writeFileAtomic(file, Buffer.from('deny all;\n'))).toEqual({ changed: true });
    expect(statSync(file).mtime.getTime()).toBeGreaterThan(old.getTime());
  });

  it('never shows a reader a partial file: the name holds the old bytes until the rename', () => {
    const { file } = dirWithOld();
    const before = readFileSync(file, 'utf8');
    const seen: string[] = [];
    const watching: AtomicFs = {
      ...fs,
      writeSync: ((fd: number, buffer: Uint8Array, offset: number, length: number) => {
        // Write one byte at a time and read the target after each: it must be the old file every time.
        const n = fs.writeSync(fd, buffer, offset, Math.min(1, length));
        seen.push(readFileSync(file, 'utf8'));
        return n;
      }) as AtomicFs['writeSync'],
    };
    writeFileAtomic(file, Buffer.from('allow 198.51.100.0/24;\ndeny all;\n'), watching);
    expect(seen.length).toBe('allow 198.51.100.0/24;\ndeny all;\n'.length);
    expect(new Set(seen)).toEqual(new Set([before]));
    expect(readFileSync(file, 'utf8')).toBe('allow 198.51.100.0/24;\ndeny all;\n');
  });
});
