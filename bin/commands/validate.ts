/**
 * `allowlist-sync validate FILE...`: checks lists with exactly the parsing and policy a sync applies and summarises
 * them: entries read, prefixes after aggregation and addresses covered per family, expired entries left out, entries
 * that expire within the warning window (`--expiry-warning-days`, default 14, as a sync's `expiryWarningDays`), and
 * what the list needs in each target kind (security-group rules and groups, WAF IP sets, prefix-list entries).
 */
import { parseArgs } from 'node:util';
import type { BuiltAllowlist } from '../../lambda/core/allowlist';
import { DEFAULT_EXPIRY_WARNING_DAYS, findExpiring, MAX_EXPIRY_WARNING_DAYS } from '../../lambda/core/expiry';
import { buildFromArgs, POLICY_HELP, POLICY_OPTIONS, reportError, UsageError } from './args';
import { AWS_OPTIONS, awsHelp, awsSettingsFromFlags } from './aws-settings';
import { wantsJson } from './cli-error';
import { type Command, Exit, type Io } from './io';

/** AWS's default inbound rules per security group, per family (adjustable). */
const SG_RULES_PER_GROUP = 60;
/** At most this many addresses (CIDRs) in one WAF IP set; one family per set. */
const WAF_ADDRESSES_PER_SET = 10_000;
/** The largest MaxEntries of a managed prefix list; one family per list. */
const PREFIX_LIST_MAX_ENTRIES = 1000;

const help = `Usage: allowlist-sync validate [options] FILE...

Checks the FILEs (unioned) with the sync's exact parsing and entry policy, and prints a summary: entries read,
prefixes after aggregation and addresses covered per family, expired entries left out, entries that expire
within the warning window (prefix, owner, expiry, where), and what the list needs in each target kind.
"-" reads standard input.

Options:
${POLICY_HELP}
      --expiry-warning-days N list entries that expire within N days, 0–${MAX_EXPIRY_WARNING_DAYS} (default ${DEFAULT_EXPIRY_WARNING_DAYS},
                              like an allowlist's expiryWarningDays)
      --json                  print the summary as JSON (on an error: the JSON error object, see docs/cli-errors.md)
For s3:// and ssm: FILEs:
${awsHelp(30)}

Exit codes: 0 valid, 1 refused or bad usage (the problems on stderr as FILE:LINE: message; nothing on stdout, or
with --json the JSON error object).
`;

/** The summary `validate` prints (and `--json` emits as is). Address counts are decimal strings: IPv6 needs BigInt. */
export interface ValidateSummary {
  readonly files: string[];
  readonly entries: { ipv4: number; ipv6: number };
  readonly prefixes: { ipv4: number; ipv6: number };
  readonly addresses: { ipv4: string; ipv6: string };
  readonly expired: Array<{ prefix: string; where: string; expires: string }>;
  /** Entries that expire within the window, soonest first (all of them: validate lists no cap). */
  readonly expiring: {
    windowDays: number;
    count: number;
    entries: Array<{ prefix: string; owner: string | null; expires: string; where: string }>;
  };
  readonly serial?: number;
  readonly generatedAt?: string;
  readonly needs: {
    readonly securityGroups: {
      rulesPerPortRange: { ipv4: number; ipv6: number };
      rulesPerGroup: number;
      groups: number;
    };
    readonly wafIpSets: { addressesPerSet: number; sets: { ipv4: number; ipv6: number } };
    readonly prefixLists: {
      maxEntries: number;
      entries: { ipv4: number; ipv6: number };
      fits: { ipv4: boolean; ipv6: boolean };
    };
  };
}

/** When and how far ahead `validate` looks for expiring entries. */
export interface ExpiryOptions {
  /** ms since the epoch. */
  readonly now: number;
  readonly windowDays: number;
}

/** Summarises a built allowlist: counts, expiring entries, and what each target kind needs to hold it. */
export function summarise(
  files: readonly string[],
  built: BuiltAllowlist,
  expiry: ExpiryOptions = { now: Date.now(), windowDays: DEFAULT_EXPIRY_WARNING_DAYS },
): ValidateSummary {
  const expiring = findExpiring(built.dated, expiry.now, expiry.windowDays);
  const p4 = built.counts.prefixes[4];
  const p6 = built.counts.prefixes[6];
  return {
    files: [...files],
    entries: { ipv4: built.counts.read[4], ipv6: built.counts.read[6] },
    prefixes: { ipv4: p4, ipv6: p6 },
    addresses: { ipv4: built.set.addressCount(4).toString(), ipv6: built.set.addressCount(6).toString() },
    expired: built.expired.map((e) => ({ ...e })),
    expiring: {
      windowDays: expiring.windowDays,
      count: expiring.count,
      entries: expiring.entries.map((e) => ({
        prefix: e.prefix,
        owner: e.owner ?? null,
        expires: e.expires,
        where: e.where,
      })),
    },
    ...(built.serial !== undefined ? { serial: built.serial } : {}),
    ...(built.generatedAt !== undefined ? { generatedAt: built.generatedAt } : {}),
    needs: {
      // Every CIDR × port range is one rule, and the quota counts IPv4 and IPv6 rules separately.
      securityGroups: {
        rulesPerPortRange: { ipv4: p4, ipv6: p6 },
        rulesPerGroup: SG_RULES_PER_GROUP,
        groups: Math.max(Math.ceil(p4 / SG_RULES_PER_GROUP), Math.ceil(p6 / SG_RULES_PER_GROUP)),
      },
      wafIpSets: {
        addressesPerSet: WAF_ADDRESSES_PER_SET,
        sets: { ipv4: Math.ceil(p4 / WAF_ADDRESSES_PER_SET), ipv6: Math.ceil(p6 / WAF_ADDRESSES_PER_SET) },
      },
      prefixLists: {
        maxEntries: PREFIX_LIST_MAX_ENTRIES,
        entries: { ipv4: p4, ipv6: p6 },
        fits: { ipv4: p4 <= PREFIX_LIST_MAX_ENTRIES, ipv6: p6 <= PREFIX_LIST_MAX_ENTRIES },
      },
    },
  };
}

const n = (x: number | string) => BigInt(x).toLocaleString('en-US');

function renderText(s: ValidateSummary): string {
  const rows: Array<[string, string, string]> = [
    ['entries read', n(s.entries.ipv4), n(s.entries.ipv6)],
    ['prefixes after aggregation', n(s.prefixes.ipv4), n(s.prefixes.ipv6)],
    ['addresses covered', n(s.addresses.ipv4), n(s.addresses.ipv6)],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(4, ...rows.map((r) => r[1].length));
  const line = (a: string, b: string, c: string) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`;
  const sg = s.needs.securityGroups;
  const waf = s.needs.wafIpSets;
  const pl = s.needs.prefixLists;
  const fits = (ok: boolean) => (ok ? 'fits' : `does not fit ${pl.maxEntries}`);
  const out = [
    `valid: ${s.files.join(', ')}`,
    line('', 'IPv4', 'IPv6'),
    ...rows.map((r) => line(...r)),
    `  expired entries left out: ${s.expired.length}`,
    ...s.expired.map((e) => `    ${e.where}: ${e.prefix} expired ${e.expires}`),
    `  expiring within ${s.expiring.windowDays} days: ${s.expiring.count}`,
    ...s.expiring.entries.map((e) => `    ${e.where}: ${e.prefix} owner ${e.owner ?? '(none)'} expires ${e.expires}`),
    ...(s.serial !== undefined ? [`  serial: ${s.serial}`] : []),
    ...(s.generatedAt !== undefined ? [`  generated at: ${s.generatedAt}`] : []),
    'needs:',
    `  security groups: ${n(sg.rulesPerPortRange.ipv4)} IPv4 + ${n(sg.rulesPerPortRange.ipv6)} IPv6 rules per port range; ${n(sg.groups)} group(s) at ${n(sg.rulesPerGroup)} rules per family`,
    `  WAF IP sets: ${n(waf.sets.ipv4)} IPv4 + ${n(waf.sets.ipv6)} IPv6 set(s) at ${n(waf.addressesPerSet)} addresses a set`,
    `  prefix lists: ${n(pl.entries.ipv4)} IPv4 entries (${fits(pl.fits.ipv4)}), ${n(pl.entries.ipv6)} IPv6 entries (${fits(pl.fits.ipv6)})`,
  ];
  return `${out.join('\n')}\n`;
}

/** The `validate` command. */
export const command: Command = {
  name: 'validate',
  summary: "check lists with the sync's exact parsing and policy, and summarise them",
  async run(argv: string[], io: Io): Promise<number> {
    try {
      const { values, positionals } = parseArgs({
        args: argv,
        options: {
          ...POLICY_OPTIONS,
          ...AWS_OPTIONS,
          json: { type: 'boolean' },
          'expiry-warning-days': { type: 'string' },
        },
        allowPositionals: true,
      });
      if (values.help) {
        io.stdout.write(help);
        return Exit.OK;
      }
      const windowDays = parseWindow(values['expiry-warning-days']);
      const now = io.now?.() ?? Date.now();
      const built = await buildFromArgs(positionals, values, io, awsSettingsFromFlags(values));
      const summary = summarise(
        positionals.map((f) => (f === '-' ? '<stdin>' : f)),
        built,
        { now, windowDays },
      );
      io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : renderText(summary));
      return Exit.OK;
    } catch (error) {
      return reportError('validate', error, io, wantsJson(argv));
    }
  },
};

/** `--expiry-warning-days N`: a whole number of days 0–365, or the default. */
function parseWindow(text: string | undefined): number {
  if (text === undefined) return DEFAULT_EXPIRY_WARNING_DAYS;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > MAX_EXPIRY_WARNING_DAYS) {
    throw new UsageError(
      `--expiry-warning-days "${text}": expected a whole number of days 0–${MAX_EXPIRY_WARNING_DAYS}, e.g. --expiry-warning-days 30`,
    );
  }
  return n;
}
