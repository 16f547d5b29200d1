/**
 * Reads a response body into memory within the bounds: never more than `maxBytes` (the stream is destroyed as soon
 * as the cap is passed, nothing past it is buffered), never a silence longer than `idleTimeoutMs`, never past the
 * budget signal, and never a body shorter than its announced length (a cut connection is not a shorter list).
 */
import { SourceError } from './errors';

/** How to read one body. */
export interface ReadBodyOptions {
  readonly source: string;
  readonly maxBytes: number;
  readonly idleTimeoutMs: number;
  /** The fetch budget; aborting it stops the read. */
  readonly signal: AbortSignal;
  /** The announced length (Content-Length), when there is one. */
  readonly expectedLength?: number;
  /** Called to tear the transport down on a refusal (destroys the socket or stream). */
  readonly destroy: () => void;
}

/** Collects `body` into one buffer, or throws a {@link SourceError} (too-large, timeout, budget, truncated). */
export async function readBody(body: AsyncIterable<unknown>, options: ReadBodyOptions): Promise<Uint8Array> {
  const { source, maxBytes, expectedLength } = options;
  if (expectedLength !== undefined && expectedLength > maxBytes) {
    options.destroy();
    throw tooLarge(source, `Content-Length ${expectedLength}`, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await withIdleTimeout(iterator.next(), options);
      if (next.done) break;
      const chunk = toBytes(next.value);
      total += chunk.byteLength;
      if (total > maxBytes) {
        options.destroy();
        throw tooLarge(source, `more than ${maxBytes} bytes`, maxBytes);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    options.destroy();
    if (options.signal.aborted) throw budgetExceeded(source, options.signal);
    // A reset or aborted connection mid-body: what arrived is a prefix of the list, never the list.
    throw new SourceError(
      source,
      'truncated',
      `the body stopped after ${total} bytes: ${(error as Error).message}`,
      'check the source is served completely',
      { cause: error },
    );
  }
  if (expectedLength !== undefined && total !== expectedLength) {
    throw new SourceError(
      source,
      'truncated',
      `received ${total} bytes, Content-Length said ${expectedLength}`,
      'check the source is served completely (a cut connection or a proxy that truncates)',
    );
  }
  return concat(chunks, total);
}

/** The error for an aborted fetch budget, naming the source that was being read when it ran out. */
export function budgetExceeded(source: string, _signal: AbortSignal): SourceError {
  return new SourceError(
    source,
    'budget',
    'the total fetch budget ran out while reading this source',
    'make the source faster or raise limits.fetchBudgetMs (keep it below the function timeout)',
  );
}

function withIdleTimeout<T>(pending: Promise<T>, options: ReadBodyOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cleanup();
      options.destroy();
      reject(budgetExceeded(options.source, options.signal));
    };
    const timer = setTimeout(() => {
      cleanup();
      options.destroy();
      reject(
        new SourceError(
          options.source,
          'timeout',
          `no data for ${options.idleTimeoutMs} ms while reading the body`,
          'check the source is healthy, or raise limits.idleTimeoutMs',
        ),
      );
    }, options.idleTimeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    };
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value);
  throw new TypeError(`unexpected body chunk of type ${typeof value}`);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function tooLarge(source: string, seen: string, maxBytes: number): SourceError {
  return new SourceError(
    source,
    'too-large',
    `${seen}, over the ${maxBytes}-byte cap`,
    'shrink the list, or raise the source\'s "maxBytes" if the size is expected',
  );
}
