/**
 * Local file source, for the CLI (`validate`, `aggregate`, `plan` from a laptop). The size is checked before the
 * read, and the read itself is capped, so a file that grows meanwhile cannot blow the bound either.
 */
import { open } from 'node:fs/promises';
import { SourceError } from './errors';
import type { TransportResult } from './transport';

/** Reads a local file of at most `maxBytes`; throws {@link SourceError} when it is missing or too large. */
export async function fetchFile(path: string, maxBytes: number): Promise<TransportResult> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SourceError(
      path,
      e.code === 'ENOENT' ? 'not-found' : e.code === 'EACCES' ? 'access-denied' : 'unreachable',
      `${e.code ?? 'error'}: ${e.message}`,
      'check the path',
      { cause: error },
    );
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
