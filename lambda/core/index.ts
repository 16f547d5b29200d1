/**
 * `allowlist-sync/core`: the pure core as a library. Parse a list in any supported format, check it against the
 * entry policy, aggregate it into a canonical set, and compare sets (union, difference, intersection, coverage).
 *
 * Everything here is pure (no I/O, no clock, no environment) and loads no AWS SDK: a test of the packed package
 * checks that requiring this entry loads nothing under `@aws-sdk/`. The same code is what the function applies and
 * what the CLI's `aggregate` and `validate` print.
 */

export {
  type AllowlistInput,
  type BuildOptions,
  type BuiltAllowlist,
  buildAllowlist,
  type FamilyCounts,
  inlineInput,
} from './allowlist';
export { compareCidrs, sortCidrs } from './cidr-order';
export { AllowlistSyncError, ConfigError, ParseError, PolicyError, type Problem } from './errors';
export { type Format, FormatSchema } from './format';
export { type ExpiredEntry, type ParsedSource, type ParseOptions, parseSource, parseText } from './formats';
export {
  DEFAULT_POLICY,
  enforcePolicy,
  findPolicyViolations,
  type Policy,
  type PolicyInput,
  type PolicyRelaxations,
  type PolicyResult,
  PolicySchema,
} from './policy';
export {
  type Cidr,
  cidrFamily,
  cidrLength,
  type Family,
  type ParseCidrOptions,
  PrefixSyntaxError,
  parseCidr,
} from './prefix';
export { PrefixSet } from './prefix-set';
