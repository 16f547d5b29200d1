/**
 * Atomic replacement of a file: the bytes go to a temporary file in the same directory (same file system, so the
 * rename is atomic), are flushed to disk, and then renamed over the target. A reader — nginx reloading, a cron job
 * running `ipset restore` — sees the whole old file or the whole new one, never a half-written one, and on any error
 * the old file is left exactly as it was and the temporary file is removed.
 */
import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file-system calls the writer makes (injected by tests to make one fail). */
export type AtomicFs = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'fchmodSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'statSync'
  | 'readFileSync'
>;

/** What {@link writeFileAtomic} did. */
export interface AtomicWriteResult {
  /** False when the file already held exactly these bytes: it was left alone (its mtime too). */
  readonly changed: boolean;
}

/**
 * Replaces `path` with `bytes` atomically; keeps the old file's mode (new files get 0644). An existing file with the
 * same bytes is not rewritten, so watchers (a systemd path unit, inotify) fire only on a real change.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, fs: AtomicFs = nodeFs): AtomicWriteResult {
  let mode = 0o644;
  try {
    const stat = fs.statSync(path);
    mode = stat.mode & 0o7777;
    if (stat.isFile() && stat.size === bytes.byteLength && Buffer.from(bytes).equals(fs.readFileSync(path))) {
      return { changed: false };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // A dot file with the pid and a random tail: not picked up by `include *.conf`, and never shared by two writers.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  const fd = fs.openSync(temp, 'wx', mode);
  let renamed = false;
  try {
    try {
      // The mode exactly, whatever the umask: a 0640 include stays 0640.
      fs.fchmodSync(fd, mode);
      let offset = 0;
      while (offset < bytes.byteLength) offset += fs.writeSync(fd, bytes, offset, bytes.byteLength - offset);
      // On disk before the rename: after a crash the name points at complete bytes, old or new.
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        fs.unlinkSync(temp);
      } catch {
        // Already gone; the original error is the one to report.
      }
    }
  }
  return { changed: true };
}
