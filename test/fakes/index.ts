/**
 * # Stateful fakes of AWS
 *
 * `FakeEc2` and `FakeWafv2` hold state and answer real SDK v3 clients (`fake.client`, an `EC2Client` or `WAFV2Client`
 * stubbed per instance with aws-sdk-client-mock). Production code gets the client by injection; tests and the battery
 * drive it exactly as they would drive AWS. A fake that accepts what AWS rejects hides bugs, so they enforce:
 *
 * - **Security groups** (AWS-FACTS 12–19; EC2 API reference): CIDRs canonicalised and compared by value; authorize and
 *   revoke all-or-nothing; `InvalidPermission.Duplicate` (existing rule), `InvalidParameterValue` (same permission
 *   twice in one request, bad CIDR, description over 255 or outside `a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`),
 *   `RulesPerSecurityGroupLimitExceeded` (60 IPv4 and 60 IPv6 inbound rules, configurable), `InvalidGroup.NotFound`;
 *   revoke by properties `InvalidPermission.NotFound` (non-default VPC; in a default VPC, `UnknownIpPermissions`), by
 *   ids `InvalidSecurityGroupRuleId.NotFound`; DescribeSecurityGroupRules filters `group-id`, `tag:<key>`, `tag-key`,
 *   `security-group-rule-id`, MaxResults 5–1000, NextToken, and includes each group's default egress rule.
 * - **Managed prefix lists** (AWS-FACTS 27–28): one family, MaxEntries ≤ 1000, ≤ 100 adds and ≤ 100 removes,
 *   `PrefixListVersionMismatch`, `IncorrectState` while `modify-in-progress` (which can be held for N describes),
 *   `PrefixListMaxEntriesExceeded`, `InvalidPrefixListModification` (remove a missing entry), `InvalidRequest` (add an
 *   existing entry), each entry-changing modify a new version, `TargetVersion` reads.
 * - **WAF IP sets** (AWS-FACTS 20–24): UpdateIPSet replaces addresses *and* description (omitting it clears it), lock
 *   tokens (`WAFOptimisticLockException`, a new token per update), ≤ 10,000 addresses (`WAFLimitsExceededException`),
 *   one family, no `/0`, no host bits, CIDR notation (`WAFInvalidParameterException`), one write per second per
 *   account and Region on an injectable clock (`ThrottlingException`).
 * - **The SDK's retry loop**, which aws-sdk-client-mock bypasses: throttling, 5xx and `TimeoutError` are retried up to
 *   `maxAttempts` (default 3), every attempt recorded, so a write that took effect and timed out is retried into the
 *   error AWS would give.
 *
 * Every attempt is recorded (`calls`, `writes()`, `callsOf(name)`); faults are scripted with `inject(...)` or drawn
 * from a seed with `randomFaults(...)`: `throttle`, `server`, `timeout-after-write`, `crash-before`, `crash-after`
 * (`SimulatedCrash`), `stale-read`, `lock-conflict`. `onWrite(fn)` sees a snapshot after every write that changed
 * state, so invariants can be checked at every step; `admittedRanges`, `entryRanges` and `addressRanges` give what a
 * target admits as merged BigInt intervals, to compare by address rather than text.
 *
 * Where the documentation names no error code, the choice and its public source are given in a comment next to the
 * check (see ec2-security-groups.ts, ec2-prefix-lists.ts, fake-wafv2.ts). The fakes share no code with `lambda/`.
 */
export * from './cidr';
export { Ec2View, ec2Error, type PortQuery, type RuleView, UnsupportedByFake } from './ec2-state';
export * from './fake-ec2';
export * from './fake-eventbridge';
export * from './fake-wafv2';
export {
  type CallRecord,
  type FakeServiceOptions,
  type FaultKind,
  type FaultRule,
  isSdkRetryable,
  type PendingCall,
  type RandomFaultOptions,
  SimulatedCrash,
  seededRandom,
  timeoutError,
} from './faults';
