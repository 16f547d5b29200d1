/**
 * The reference table of docs/configuration.md: one row per field of the deployment config, its path, type, default
 * and per-environment column read from the schemas (./config-fields.ts), its meaning from FIELD_DOCS below. The docs
 * test checks the page holds exactly this table; `UPDATE_CONFIG_REFERENCE=1 npx vitest run
 * test/docs/configuration.test.ts` rewrites it after a schema change.
 */
import { type ConfigField, configFields } from './config-fields';

/** What a field does, and its default where the schema leaves it to the function or to the top level. */
interface FieldDoc {
  readonly doc: string;
  readonly default?: string;
}

const TOP = 'the top-level value';
const ENV_ALLOWLIST = 'environments[].allowlists.<name>';

/** The meaning of every field; a key that is not a field, or a field without a key, fails the docs test. */
export const FIELD_DOCS: Readonly<Record<string, FieldDoc>> = {
  environments: { doc: 'one stack per entry, named `AllowlistSync-<name>`' },
  'environments[].name': { doc: 'the stack name\'s suffix; unique; 1–64 letters, digits, "-", "_"' },
  'environments[].account': { doc: 'the 12-digit account the stack deploys to' },
  'environments[].region': { doc: 'the Region the stack deploys to, like `eu-west-1`' },
  'environments[].allowlists': {
    doc: 'the allowlists this environment runs, by name, each with its own values (`{}`: the definition as it is)',
    default: 'all allowlists',
  },
  [`${ENV_ALLOWLIST}.kmsKeyArns`]: { doc: "this environment's KMS keys, in place of the allowlist's" },
  [`${ENV_ALLOWLIST}.securityGroups`]: { doc: "this environment's security-group ids" },
  [`${ENV_ALLOWLIST}.securityGroups.create`]: { doc: 'for an allowlist that creates its groups' },
  [`${ENV_ALLOWLIST}.securityGroups.create.vpcId`]: { doc: 'the VPC the groups are created in here' },
  [`${ENV_ALLOWLIST}.securityGroups.existing`]: { doc: 'for an allowlist that manages existing groups' },
  [`${ENV_ALLOWLIST}.securityGroups.existing.groupIds`]: { doc: "this environment's groups" },
  [`${ENV_ALLOWLIST}.wafIpSets`]: { doc: "this environment's WAF values" },
  [`${ENV_ALLOWLIST}.wafIpSets.scope`]: { doc: 'the scope here (`CLOUDFRONT` only in us-east-1)' },
  [`${ENV_ALLOWLIST}.prefixLists`]: { doc: "this environment's prefix-list shares" },
  [`${ENV_ALLOWLIST}.prefixLists.ipv4`]: { doc: 'the IPv4 list' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv4.share`]: { doc: 'its RAM share here, or `null` for none' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv4.share.accounts`]: { doc: 'as `allowlists[].prefixLists.ipv4.share.accounts`' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv4.share.organizationArn`]: { doc: 'as in the allowlist' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv4.share.allowExternalPrincipals`]: { doc: 'as in the allowlist' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv6`]: { doc: 'the IPv6 list' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv6.share`]: { doc: 'its RAM share here, or `null` for none' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv6.share.accounts`]: { doc: 'as `allowlists[].prefixLists.ipv6.share.accounts`' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv6.share.organizationArn`]: { doc: 'as in the allowlist' },
  [`${ENV_ALLOWLIST}.prefixLists.ipv6.share.allowExternalPrincipals`]: { doc: 'as in the allowlist' },
  'environments[].scheduleMinutes': { doc: "this environment's schedule", default: TOP },
  'environments[].alarmEmail': { doc: "this environment's alarm e-mail", default: TOP },
  'environments[].quotaHeadroomAlarmBelow': { doc: "this environment's quota alarm threshold", default: TOP },
  'environments[].changeEventArchiveDays': { doc: "this environment's archive days", default: TOP },
  allowlists: { doc: 'each allowlist, defined once for every environment' },
  'allowlists[].name': {
    doc: 'unique; 1–64 letters, digits, "-", "_"; the owner tag on every rule the sync writes, so never rename it',
  },
  'allowlists[].sources': {
    doc: "where the list comes from, exactly the RuntimeConfig's sources (below) except `file`; several are unioned",
  },
  'allowlists[].policy': { doc: 'the entry policy, as in the RuntimeConfig', default: 'the defaults below' },
  'allowlists[].policy.minPrefixLength': { doc: 'breadth floors: the shortest prefix accepted' },
  'allowlists[].policy.minPrefixLength.ipv4': { doc: 'IPv4 floor' },
  'allowlists[].policy.minPrefixLength.ipv6': { doc: 'IPv6 floor' },
  'allowlists[].policy.allowPrivate': { doc: 'admit RFC 1918 and `fc00::/7`' },
  'allowlists[].policy.maskHostBits': { doc: 'clear host bits instead of refusing the entry' },
  'allowlists[].policy.allowEmpty': { doc: 'accept an empty list (it would empty every target)' },
  'allowlists[].policy.maxEntries': { doc: 'refuse a list with more entries (before aggregation)' },
  'allowlists[].guardrails': { doc: 'the change-size guardrail' },
  'allowlists[].guardrails.maxRemovedShare': {
    doc: "refuse a run that removes more than this share of a target's entries…",
  },
  'allowlists[].guardrails.removalsAlwaysAllowed': { doc: '…unless it removes at most this many' },
  'allowlists[].expiryWarningDays': {
    doc: 'days before an entry expires that runs warn ([expiry](expiry-and-events.md))',
    default: '14',
  },
  'allowlists[].kmsKeyArns': { doc: 'customer-managed KMS keys of an SSE-KMS S3 source or an SSM SecureString' },
  'allowlists[].securityGroups': { doc: 'a pool of security groups: `create` or `existing`, never both' },
  'allowlists[].securityGroups.create': { doc: '`count` new groups in a VPC, without ingress' },
  'allowlists[].securityGroups.create.vpcId': {
    doc: 'the VPC; may be left to the environments, each then gives one',
    default: 'each environment gives it',
  },
  'allowlists[].securityGroups.create.count': { doc: 'how many groups (1–50)' },
  'allowlists[].securityGroups.create.ports': { doc: 'the port ranges each rule admits' },
  'allowlists[].securityGroups.create.ports[].protocol': { doc: 'the protocol' },
  'allowlists[].securityGroups.create.ports[].from': { doc: 'first port' },
  'allowlists[].securityGroups.create.ports[].to': { doc: 'last port' },
  'allowlists[].securityGroups.create.description': {
    doc: "the groups' description prefix; replace-on-change: never change it after the first deploy",
    default: '`allowlist-sync <name>`',
  },
  'allowlists[].securityGroups.create.allowAllOutbound': { doc: "let the groups' members connect anywhere" },
  'allowlists[].securityGroups.create.rulesPerGroup': {
    doc: 'the rules-per-group quota to plan for',
    default: '60 / 60',
  },
  'allowlists[].securityGroups.create.rulesPerGroup.ipv4': { doc: 'IPv4 rules per group' },
  'allowlists[].securityGroups.create.rulesPerGroup.ipv6': { doc: 'IPv6 rules per group' },
  'allowlists[].securityGroups.existing': { doc: 'groups you already own, whose inbound rules the sync manages' },
  'allowlists[].securityGroups.existing.groupIds': {
    doc: 'the groups; may be left to the environments, each then gives them',
    default: 'each environment gives them',
  },
  'allowlists[].securityGroups.existing.ports': { doc: 'the port ranges each rule admits' },
  'allowlists[].securityGroups.existing.ports[].protocol': { doc: 'the protocol' },
  'allowlists[].securityGroups.existing.ports[].from': { doc: 'first port' },
  'allowlists[].securityGroups.existing.ports[].to': { doc: 'last port' },
  'allowlists[].securityGroups.existing.rulesPerGroup': {
    doc: 'the rules-per-group quota to plan for',
    default: '60 / 60',
  },
  'allowlists[].securityGroups.existing.rulesPerGroup.ipv4': { doc: 'IPv4 rules per group' },
  'allowlists[].securityGroups.existing.rulesPerGroup.ipv6': { doc: 'IPv6 rules per group' },
  'allowlists[].wafIpSets': { doc: 'pools of WAF IP sets, with an optional allow rule group and web ACL' },
  'allowlists[].wafIpSets.scope': { doc: '`CLOUDFRONT` only in us-east-1 ([AWS behaviour §24](aws-behaviour.md#s24))' },
  'allowlists[].wafIpSets.setsPerFamily': { doc: 'IP sets per family (0–20 each, at least one in all)' },
  'allowlists[].wafIpSets.setsPerFamily.ipv4': { doc: 'IPv4 sets' },
  'allowlists[].wafIpSets.setsPerFamily.ipv6': { doc: 'IPv6 sets' },
  'allowlists[].wafIpSets.ruleGroup': { doc: 'a rule group that allows a request from any set of the pool' },
  'allowlists[].wafIpSets.ruleGroup.forwardedIp': {
    doc: 'read the client address from a header ([AWS behaviour §26](aws-behaviour.md#s26))',
    default: "the connection's address",
  },
  'allowlists[].wafIpSets.ruleGroup.forwardedIp.headerName': { doc: 'the header, like `X-Forwarded-For`' },
  'allowlists[].wafIpSets.ruleGroup.forwardedIp.fallbackBehavior': {
    doc: 'a request without a valid address in the header does not match (`MATCH` would let anyone bypass the list)',
  },
  'allowlists[].wafIpSets.ruleGroup.forwardedIp.position': { doc: 'which address of the header' },
  'allowlists[].wafIpSets.webAcl': { doc: 'a web ACL that runs the rule group and blocks the rest' },
  'allowlists[].wafIpSets.credential': {
    doc: "bind a partner's credential to these sets ([credential binding](credential-binding.md))",
  },
  'allowlists[].wafIpSets.credential.header': { doc: 'the request header that carries the credential' },
  'allowlists[].wafIpSets.credential.startsWith': { doc: 'a non-secret key prefix or key id (or `exactly`)' },
  'allowlists[].wafIpSets.credential.exactly': { doc: 'the exact value of a header without secrets' },
  'allowlists[].wafIpSets.credential.caseInsensitive': { doc: 'match the value in any case' },
  'allowlists[].wafIpSets.credential.clientAddress': {
    doc: '`"connection"`, or `{ "forwardedIp": { "headerName", "position": "LAST" } }`',
  },
  'allowlists[].prefixLists': { doc: 'managed prefix lists, one per family' },
  'allowlists[].prefixLists.ipv4': { doc: 'the IPv4 list' },
  'allowlists[].prefixLists.ipv4.maxEntries': { doc: 'fixed at create (1–1000); a reference costs this many rules' },
  'allowlists[].prefixLists.ipv4.share': { doc: 'an AWS RAM share of the list, never with its own account' },
  'allowlists[].prefixLists.ipv4.share.accounts': { doc: 'account ids' },
  'allowlists[].prefixLists.ipv4.share.organizationArn': { doc: 'an organization or OU ARN' },
  'allowlists[].prefixLists.ipv4.share.allowExternalPrincipals': { doc: 'allow principals outside your organization' },
  'allowlists[].prefixLists.ipv6': { doc: 'the IPv6 list' },
  'allowlists[].prefixLists.ipv6.maxEntries': { doc: 'fixed at create (1–1000); a reference costs this many rules' },
  'allowlists[].prefixLists.ipv6.share': { doc: 'an AWS RAM share of the list, never with its own account' },
  'allowlists[].prefixLists.ipv6.share.accounts': { doc: 'account ids' },
  'allowlists[].prefixLists.ipv6.share.organizationArn': { doc: 'an organization or OU ARN' },
  'allowlists[].prefixLists.ipv6.share.allowExternalPrincipals': { doc: 'allow principals outside your organization' },
  'allowlists[].prefixLists.growUpTo': {
    doc: 'let the function raise MaxEntries up to this',
    default: 'refuse instead',
  },
  scheduleMinutes: { doc: 'minutes between scheduled runs (1–720)' },
  alarmEmail: { doc: 'subscribed to the alarm topic (confirm the subscription mail)' },
  quotaHeadroomAlarmBelow: { doc: 'alarm when a target has fewer free entries than this' },
  changeEventArchiveDays: { doc: 'archive the change events this many days ([events](expiry-and-events.md))' },
  credentialBinding: { doc: 'stack-wide options of credential binding', default: 'rule groups only' },
  'credentialBinding.webAcl': { doc: 'a web ACL for the binding rule groups' },
  'credentialBinding.ruleGroupCapacity': {
    doc: 'the capacity each binding rule group reserves',
    default: "the rules' own",
  },
};

/** The Markdown table, one row per field in schema order. */
export function renderConfigReference(fields: readonly ConfigField[] = configFields()): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const code = (text: string) => `\`${text}\``;
  const rows = fields.map((f) => {
    const doc = FIELD_DOCS[f.path];
    const fallback = doc?.default ?? (['required', 'none'].includes(f.default) ? f.default : code(f.default));
    const perEnvironment = f.path.startsWith('environments')
      ? '—'
      : f.perEnvironment
        ? f.perEnvironment.startsWith('with ')
          ? `with ${code(f.perEnvironment.slice(5))}`
          : code(f.perEnvironment)
        : 'no';
    return `| ${code(f.path)} | ${cell(f.type)} | ${cell(fallback)} | ${perEnvironment} | ${cell(doc?.doc ?? '')} |`;
  });
  return ['| field | type | default | per environment | what it does |', '|---|---|---|---|---|', ...rows].join('\n');
}
