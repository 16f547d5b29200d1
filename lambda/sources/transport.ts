/**
 * What every transport returns: the bytes and their version markers, or "not modified" when a conditional fetch
 * found the source unchanged. Transports map and decide nothing; `fetchSource` decides.
 */

/** Version markers of a fetched body, for provenance and the next conditional fetch. */
export interface Validators {
  readonly etag?: string;
  readonly lastModified?: string;
  readonly versionId?: string;
}

/** A transport's outcome. */
export type TransportResult =
  | ({ readonly notModified: false; readonly bytes: Uint8Array } & Validators)
  | ({ readonly notModified: true } & Validators);

/** Validators from the previous fetch, sent as If-None-Match / If-Modified-Since. */
export interface Conditional {
  readonly etag?: string;
  readonly lastModified?: string;
}
