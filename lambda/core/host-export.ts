/**
 * The host layer: one built allowlist rendered for the kernel's filters and the reverse proxy on a host — an
 * `ipset restore` script, an `nft -f` file, an nginx include — so hosts behind the cloud's filters enforce the same
 * list (defence in depth). Each renderer hands the list over atomically in the tool's own terms, so a host filters on
 * the whole old list or the whole new one at every moment (make-before-break, docs/design.md P5): ipset fills a new
 * set and swaps it with the live one, nft replaces a set's elements in one transaction, nginx reloads a whole file.
 *
 * Output is a function of the set and the options only (no clock, no random), so an unchanged list renders the same
 * bytes and a hook can reload only when the file changed.
 *
 * Pure: no I/O. Options are checked here ({@link HostExportError}) so that nothing is rendered from a bad one.
 */
import { AllowlistSyncError } from './errors';
import type { Cidr, Family } from './prefix';
import { PrefixSet } from './prefix-set';

/** The host formats `allowlist-sync export --to` writes. */
export const HOST_FORMATS = ['ipset', 'nftables', 'nginx'] as const;
/** One host format. */
export type HostFormat = (typeof HOST_FORMATS)[number];

/** An export option that cannot be rendered: which option, the value seen, and the fix. */
export class HostExportError extends AllowlistSyncError {
  override name = 'HostExportError';
  constructor(
    readonly option: string,
    readonly value: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${option} "${value}": ${problem}; ${fix}`);
  }
}

/** What every rendered file says about itself in its header comment (deterministic: no time). */
export interface ExportHeader {
  /** Where the list came from: source labels (no query strings, see `locationOf`). */
  readonly from: readonly string[];
  /** The signed document's serial, when there is one. */
  readonly serial?: number;
}

/** Options of the ipset script. */
export interface IpsetOptions {
  /** Base name: the live sets are `<name>_v4` and `<name>_v6`. */
  readonly name: string;
}

/** Options of the nftables file. */
export interface NftablesOptions {
  /** Base name: the sets are `<name>_v4` (`ipv4_addr`) and `<name>_v6` (`ipv6_addr`). */
  readonly name: string;
  /** The `inet` table that holds the sets (the rules that reference them must be in it). @default `filter` */
  readonly table: string;
}

/** Options of the nginx include. */
export interface NginxOptions {
  /** Proxies trusted to report the client address (`set_real_ip_from`); empty: the connection's address is used. */
  readonly realIpFrom: readonly Cidr[];
  /** The header they report it in. @default `X-Forwarded-For` when `realIpFrom` is given */
  readonly realIpHeader?: string;
  /** `real_ip_recursive on`: skip every trusted address from the right (proxies in series). @default false */
  readonly realIpRecursive?: boolean;
}

// ipset names are at most 31 characters (IPSET_MAXNAMELEN 32 with the NUL); the longest we derive is <name>_v4_next.
const IPSET_NAME_MAX = 31 - '_v4_next'.length;
// A name that is safe as an ipset name, an nft identifier and a shell word alike.
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Checks a base set name for a format; throws {@link HostExportError} naming the fix. */
export function checkSetName(format: 'ipset' | 'nftables', name: string, option = '--name'): void {
  if (!NAME.test(name)) {
    throw new HostExportError(
      option,
      name,
      'a set name is a letter followed by letters, digits or "_"',
      `e.g. ${option} ${name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z]*/, '') || 'allowlist'}`,
    );
  }
  const max = format === 'ipset' ? IPSET_NAME_MAX : 200;
  if (name.length > max) {
    throw new HostExportError(
      option,
      name,
      `${name.length} characters; ${format === 'ipset' ? `ipset names are at most 31, and the export adds "_v4_next", so at most ${max}` : `at most ${max}`}`,
      `pass a shorter ${option}`,
    );
  }
}

/**
 * Checks the nginx realip options: no `/0` (it would let any client choose its own address), a header that nginx
 * accepts, and no header without a trusted proxy (nginx would never apply it).
 */
export function checkNginxOptions(options: NginxOptions): void {
  for (const cidr of options.realIpFrom) {
    if (cidr.endsWith('/0')) {
      throw new HostExportError(
        '--real-ip-from',
        cidr,
        'trusting every address lets any client write its own address into the header and pass the allowlist',
        'name only your load balancers or proxies (their subnets)',
      );
    }
  }
  const header = options.realIpHeader;
  if (header !== undefined && options.realIpFrom.length === 0) {
    throw new HostExportError(
      '--real-ip-header',
      header,
      'a header is only read from trusted proxies, and none is given',
      'add --real-ip-from CIDR for each load balancer subnet, or drop --real-ip-header',
    );
  }
  if (header !== undefined && !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(header) && header !== 'proxy_protocol') {
    throw new HostExportError(
      '--real-ip-header',
      header,
      'not a header name',
      'e.g. X-Forwarded-For, X-Real-IP, or proxy_protocol',
    );
  }
}

/**
 * Refuses an nginx export whose allowlist admits a trusted proxy: a request from the proxy without the header keeps
 * the proxy's address, which would then be allowed, so "no header, no entry" would not hold.
 */
export function checkProxiesOutsideList(set: PrefixSet, realIpFrom: readonly Cidr[]): void {
  for (const cidr of realIpFrom) {
    const shared = set.intersection(PrefixSet.fromCidrs([cidr]));
    if (!shared.isEmpty) {
      throw new HostExportError(
        '--real-ip-from',
        cidr,
        `the allowlist admits ${shared.toCidrs().slice(0, 3).join(', ')} inside this trusted proxy range, so a request from the proxy without the header would be allowed`,
        'take the proxy addresses out of the allowlist (clients are matched by the header, not by the proxy)',
      );
    }
  }
}

function headerLines(format: HostFormat, set: PrefixSet, header: ExportHeader): string[] {
  const counts = `${set.prefixCount(4)} IPv4 and ${set.prefixCount(6)} IPv6 prefixes`;
  return [
    `# allowlist-sync export --to ${format}: ${counts}`,
    ...(header.from.length > 0 ? [`# from ${header.from.join(', ')}`] : []),
    ...(header.serial !== undefined ? [`# serial ${header.serial}`] : []),
    '# generated: edits are overwritten by the next export',
  ];
}

const FAMILIES: ReadonlyArray<{ family: Family; suffix: string; ipset: string; nft: string }> = [
  { family: 4, suffix: 'v4', ipset: 'inet', nft: 'ipv4_addr' },
  { family: 6, suffix: 'v6', ipset: 'inet6', nft: 'ipv6_addr' },
];

/**
 * The maxelem of every set: the kernel refuses `create -exist` of a set that exists with another maxelem (hashsize it
 * ignores), so the live set's create line only matches on every run if maxelem does not follow the list's size.
 * 2^20 holds any list the default policy admits (1,000,000 entries); a longer list gets the next power of two.
 */
export function ipsetMaxelem(count: number): number {
  return Math.max(2 ** 20, 2 ** Math.ceil(Math.log2(Math.max(1, count))));
}

/** The initial hash size: a power of two with a few entries a bucket, so filling never resizes. Minimum 1024. */
export function ipsetHashsize(count: number): number {
  return Math.max(1024, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(count / 4)))));
}

/**
 * An `ipset restore` script: per family, a new `hash:net` set is filled and then swapped with the live set in one
 * step (a host never filters on a half-loaded set), and the old contents destroyed. The live set is created empty if
 * it does not exist yet; a `_next` set left by an interrupted restore is reused after a flush. Both families are always
 * written, so a family that left the list is emptied on the host too.
 */
export function renderIpset(set: PrefixSet, options: IpsetOptions, header: ExportHeader): string {
  checkSetName('ipset', options.name);
  const lines = headerLines('ipset', set, header);
  for (const f of FAMILIES) {
    const cidrs = set.toCidrs(f.family);
    const live = `${options.name}_${f.suffix}`;
    const next = `${live}_next`;
    const params = `hash:net family ${f.ipset} hashsize ${ipsetHashsize(cidrs.length)} maxelem ${ipsetMaxelem(cidrs.length)}`;
    lines.push(`create ${live} ${params} -exist`, `create ${next} ${params} -exist`, `flush ${next}`);
    for (const cidr of cidrs) lines.push(`add ${next} ${cidr}`);
    lines.push(`swap ${next} ${live}`, `destroy ${next}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * An `nft -f` file: the table and both interval sets are declared if missing (`add` leaves existing ones and the rest
 * of the ruleset alone), then each set is flushed and refilled. nft applies a file as one transaction, so packets see
 * the old elements or the new ones, never an empty or half-filled set.
 */
export function renderNftables(set: PrefixSet, options: NftablesOptions, header: ExportHeader): string {
  checkSetName('nftables', options.name);
  checkSetName('nftables', options.table, '--table');
  const t = `inet ${options.table}`;
  const lines = [...headerLines('nftables', set, header), `add table ${t}`];
  for (const f of FAMILIES) {
    lines.push(`add set ${t} ${options.name}_${f.suffix} { type ${f.nft}; flags interval; }`);
  }
  for (const f of FAMILIES) {
    const name = `${options.name}_${f.suffix}`;
    lines.push(`flush set ${t} ${name}`);
    const cidrs = set.toCidrs(f.family);
    // nft refuses an empty element list: a family with no prefix is left flushed.
    if (cidrs.length > 0) lines.push(`add element ${t} ${name} {`, ...cidrs.map((c) => `  ${c},`), '}');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * An nginx include for a `server` or `location` block: the realip lines (when proxies are trusted), one `allow` a
 * prefix, and a closing `deny all;`, so an address not on the list — or a request whose header is missing, whose
 * address stays the proxy's — gets 403.
 */
export function renderNginx(set: PrefixSet, options: NginxOptions, header: ExportHeader): string {
  checkNginxOptions(options);
  checkProxiesOutsideList(set, options.realIpFrom);
  const lines = headerLines('nginx', set, header);
  if (options.realIpFrom.length > 0) {
    lines.push(...options.realIpFrom.map((c) => `set_real_ip_from ${c};`));
    lines.push(`real_ip_header ${options.realIpHeader ?? 'X-Forwarded-For'};`);
    if (options.realIpRecursive) lines.push('real_ip_recursive on;');
  }
  for (const cidr of set.toCidrs()) lines.push(`allow ${cidr};`);
  lines.push('deny all;');
  return `${lines.join('\n')}\n`;
}
