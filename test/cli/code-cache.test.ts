import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, writeCodeCache } from '../../bin/code-cache';
import { ensureBuilt, ROOT } from './built-cli';

describe('command bundles load with their V8 code cache', () => {
  let dir: string;
  let file: string;
  const source = [
    "const path = require('node:path');",
    'exports.where = __filename;',
    "exports.sibling = path.basename(require.resolve('./sibling.js'));",
    'exports.sum = (a, b) => a + b;',
  ].join('\n');

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'code-cache-'));
    file = path.join(dir, 'bundle.js');
    writeFileSync(path.join(dir, 'sibling.js'), 'module.exports = 1;\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = () => loadBundle(file) as { exports: Record<string, unknown>; cache: string };

  it('uses the cache the build wrote for every command bundle, and loads what require would', () => {
    for (const name of ['aggregate', 'validate', 'export', 'plan', 'invoke', 'sign', 'explain', 'diff']) {
      const bundle = path.join(ROOT, 'dist/bin/commands', `${name}.js`);
      const loaded = loadBundle(bundle);
      expect(loaded.cache, name).toBe('used');
      expect(Object.keys(loaded.exports as object).sort(), name).toEqual(Object.keys(require(bundle)).sort());
    }
  });

  it('runs a bundle as CommonJS: its own require, __filename and exports', () => {
    writeFileSync(file, source);
    rmSync(`${file}.cache`, { force: true });
    const loaded = load();
    expect(loaded.cache).toBe('none');
    expect(loaded.exports.where).toBe(file);
    expect(loaded.exports.sibling).toBe('sibling.js');
    expect((loaded.exports.sum as (a: number, b: number) => number)(2, 3)).toBe(5);
  });

  it('uses a cache written for the same source', () => {
    writeFileSync(file, source);
    writeCodeCache(file);
    expect(load().cache).toBe('used');
  });

  it('ignores a cache written for other source (the hash differs) and compiles the new source', () => {
    writeFileSync(file, source);
    writeCodeCache(file);
    writeFileSync(file, source.replace('a + b', 'a * b'));
    const loaded = load();
    expect(loaded.cache).toBe('stale');
    expect((loaded.exports.sum as (a: number, b: number) => number)(2, 3)).toBe(6);
  });

  it('falls back to the source when V8 refuses the cached bytes', () => {
    // Source this process has not compiled before (V8 would answer a repeat from its in-memory cache), and a cache
    // with that source's hash but bytes that are not V8's.
    const fresh = `${source}\n// spoilt`;
    writeFileSync(file, fresh);
    const hash = createHash('sha256').update(fresh).digest();
    writeFileSync(`${file}.cache`, Buffer.concat([hash, Buffer.alloc(4096, 0x5a)]));
    const loaded = load();
    expect(loaded.cache).toBe('rejected');
    expect((loaded.exports.sum as (a: number, b: number) => number)(2, 3)).toBe(5);
  });
});
