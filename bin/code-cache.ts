/**
 * Loads the CLI's command bundles with a V8 code cache: what Node 22's `module.enableCompileCache()` does, for the
 * Node 20 this tool supports. Compiling a bundle (the `aggregate` one is ~330 KB with zod) costs ~10 ms of every
 * run; `npm run build` writes, next to each bundle, the bytecode V8 made while loading it, and a run hands it back.
 *
 * The cache is only ever an optimisation:
 * - `<bundle>.cache` starts with the SHA-256 of the bundle it was made from; a cache for other source is ignored.
 * - V8 itself refuses a cache made by another V8 version or with other flags (`cachedDataRejected`), and compiles the
 *   source as usual.
 * - No cache file: the source is compiled as usual. A run never writes a cache.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** How a bundle was compiled: from its cache, or from source (and why). */
export type CacheUse = 'used' | 'none' | 'stale' | 'rejected';

const HASH_BYTES = 32;

/** The CommonJS wrapper, as Node's own loader writes it. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

function sha256(source: string): Buffer {
  return createHash('sha256').update(source).digest();
}

function compile(file: string, source: string, cachedData: Buffer | undefined): Script {
  return new Script(wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
}

function run(script: Script, file: string): unknown {
  const module = { exports: {} as unknown };
  const factory = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  factory(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** Loads a CommonJS bundle as `require` would, with its code cache when there is a valid one. */
export function loadBundle(file: string): { exports: unknown; cache: CacheUse } {
  const source = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  let cache: CacheUse = 'none';
  try {
    const stored = readFileSync(`${file}.cache`);
    if (stored.subarray(0, HASH_BYTES).equals(sha256(source))) cachedData = stored.subarray(HASH_BYTES);
    else cache = 'stale';
  } catch {
    // No cache (a build without one, or a read-only copy of the bundle): compile from source.
  }
  const script = compile(file, source, cachedData);
  if (cachedData) cache = script.cachedDataRejected ? 'rejected' : 'used';
  return { exports: run(script, file), cache };
}

/**
 * Writes `<bundle>.cache` for a bundle: compiles and loads it (its top level only: a bundle defines, it does not
 * act), then saves the bytecode V8 holds for it. Run by `npm run build`.
 */
export function writeCodeCache(file: string): number {
  const source = readFileSync(file, 'utf8');
  const script = compile(file, source, undefined);
  run(script, file);
  const data = Buffer.concat([sha256(source), script.createCachedData()]);
  writeFileSync(`${file}.cache`, data);
  return data.length;
}
