/**
 * Local file source, for the CLI (`validate`, `aggregate`, `plan` from a laptop). The size is checked before the
 * read, and the read itself is capped, so a file that grows meanwhile cannot blow the bound either. A relative path
 * in a config is read from the config file's directory (`baseDir`), so a config means the same from any directory.
 */
import { open } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { SourceError } from './errors';
import type { TransportResult } from './transport';

/**
 * Reads a local file of at most `maxBytes`; a relative `path` is read from `baseDir` (default: the current directory).
 * Throws {@link SourceError} when it is missing or too large, naming the path as written and as resolved.
 */
export async function fetchFile(path: string, maxBytes: number, baseDir?: string): Promise<TransportResult> {
  const resolved = baseDir === undefined || isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(resolved, 'r');
  } catch (error) {
    throw openError(path, resolved, baseDir, error as NodeJS.ErrnoException);
  }
  try {
    const stat = await handle.stat();
    if (stat.size > maxBytes) {
      throw new SourceError(
        path,
        'too-large',
        `${stat.size} bytes, over the ${maxBytes}-byte cap`,
        'shrink the file or raise "maxBytes"',
      );
    }
    // One byte more than expected: reading it means the file grew while we read, which is not a stable list.
    const buffer = Buffer.alloc(stat.size + 1);
    let total = 0;
    while (total < buffer.byteLength) {
      const { bytesRead } = await handle.read(buffer, total, buffer.byteLength - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total !== stat.size) {
      throw new SourceError(
        path,
        'truncated',
        `the file changed size while it was read (${stat.size} → ${total}+ bytes)`,
        'write the file atomically (write, then rename)',
      );
    }
    return { notModified: false, bytes: buffer.subarray(0, total) };
  } finally {
    await handle.close();
  }
}

/** Why a file could not be opened, naming the path as written and as resolved, and the fix. */
function openError(path: string, resolved: string, baseDir: string | undefined, e: NodeJS.ErrnoException): SourceError {
  const relative = !isAbsolute(path);
  const where = relative
    ? `${resolved} (written "${path}", read from ${baseDir === undefined ? 'the current directory' : "the config file's directory"})`
    : resolved;
  // Node's message repeats the code and the path ("ENOENT: no such file or directory, open 'x'"): say it once.
  const [reason, detail, fix]: [SourceError['reason'], string, string] =
    e.code === 'ENOENT'
      ? [
          'not-found',
          `no such file: ${where}`,
          relative && baseDir !== undefined
            ? "create the file, or correct the path: a relative path is read from the config file's directory, not the current one"
            : 'create the file, or correct the path',
        ]
      : e.code === 'EACCES'
        ? ['access-denied', `permission denied: ${where}`, 'make the file readable by this user']
        : e.code === 'EISDIR'
          ? ['unreachable', `a directory, not a file: ${where}`, 'name a file']
          : ['unreachable', `cannot open ${where} (${e.code ?? e.message})`, 'check the path'];
  return new SourceError(path, reason, detail, fix, { cause: e });
}
