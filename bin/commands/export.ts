/**
 * `allowlist-sync export`: the allowlist rendered for a host's own filters (ipset, nftables, nginx), from the same
 * sources, parsing, policy and integrity checks a sync uses (`--config FILE --allowlist NAME`), or from plain lists
 * with validate's flags (`export FILE...`). Fail static, as the function (docs/design.md P6): any source, parse,
 * policy or option problem writes nothing and leaves the last good file in place, so the host keeps filtering on its
 * last good set. A signed list's serial never goes backwards (P7): the host's record of it is its last export's header.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Allowlist, RuntimeConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/core/errors';
import {
  checkNginxOptions,
  checkSetName,
  type ExportHeader,
  HOST_FORMATS,
  type HostFormat,
  renderIpset,
  renderNftables,
  renderNginx,
} from '../../lambda/core/host-export';
import { type Cidr, parseCidr } from '../../lambda/core/prefix';
import type { PrefixSet } from '../../lambda/core/prefix-set';
import type { SourceDeps } from '../../lambda/sources/fetch';
import type { SerialStore } from '../../lambda/sources/serial-store';
import { buildFromArgs, POLICY_HELP, POLICY_OPTIONS, reportError, UsageError } from './args';
import { readRuntimeConfigFile } from './config-file';
import { type Command, Exit, type Io } from './io';
import { writeFileAtomic } from './write-atomic';

const help = `Usage: allowlist-sync export --config FILE --allowlist NAME --to FORMAT [options]
       allowlist-sync export [policy options] --to FORMAT FILE...

Renders an allowlist for a host's own filters. With --config, the allowlist is read from its sources in the
RuntimeConfig (S3, HTTPS, SSM, file, inline) with the sync's bounds, integrity checks and policy; with FILEs, the
lists are read as validate reads them ("-" is standard input). Any problem writes nothing: the last good file stays.

Formats (--to):
  ipset     an "ipset restore" script: NAME_v4 / NAME_v6 hash:net sets, filled as NAME_v4_next and swapped in
  nftables  an "nft -f" file: NAME_v4 / NAME_v6 interval sets in table inet TABLE, replaced in one transaction
  nginx     an include of "allow CIDR;" lines and "deny all;", with realip lines given --real-ip-from

Options:
  -c, --config FILE           RuntimeConfig (JSON, or YAML by extension .yaml/.yml)
      --allowlist NAME        the allowlist of the config to export (required with --config)
      --to FORMAT             ipset | nftables | nginx (required)
  -o, --output FILE           write atomically (temporary file in the same directory, then rename); an unchanged
                              file is not rewritten. Default: standard output
      --name SET              ipset/nftables set base name (default: the allowlist's name with "-" as "_", or
                              "allowlist" for FILEs)
      --table NAME            nftables: the inet table holding the sets (default filter)
      --real-ip-from CIDR     nginx: a proxy trusted to report the client address (repeatable)
      --real-ip-header NAME   nginx: the header it reports it in (default X-Forwarded-For)
      --real-ip-recursive     nginx: skip every trusted address from the right (proxies in series)
      --json                  with --output: print what was written as JSON
${POLICY_HELP}
  (the policy options apply to FILEs only; with --config the allowlist's own policy applies)

Exit codes: 0 written (or unchanged), 1 refused, failed or bad usage: nothing written, the problems on stderr.
`;

/** What `export --output --json` prints. */
export interface ExportSummary {
  readonly format: HostFormat;
  readonly output: string;
  /** False when the file already held exactly this export and was left alone. */
  readonly changed: boolean;
  readonly prefixes: { ipv4: number; ipv6: number };
  readonly bytes: number;
  readonly sha256: string;
  readonly from: string[];
  readonly serial?: number;
}

/** What the command reads config-mode sources with (tests inject fake clients). */
export interface ExportDeps {
  readonly sources: () => SourceDeps;
}

const OPTIONS = {
  ...POLICY_OPTIONS,
  config: { type: 'string', short: 'c' },
  allowlist: { type: 'string' },
  to: { type: 'string' },
  output: { type: 'string', short: 'o' },
  name: { type: 'string' },
  table: { type: 'string' },
  'real-ip-from': { type: 'string', multiple: true },
  'real-ip-header': { type: 'string' },
  'real-ip-recursive': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const POLICY_FLAGS = Object.keys(POLICY_OPTIONS).filter((k) => k !== 'help');
const NGINX_FLAGS = ['real-ip-from', 'real-ip-header', 'real-ip-recursive'] as const;

/** Builds the export command; the CLI's reads config-mode sources with the SDK's default clients. */
export function createExportCommand(deps: ExportDeps): Command {
  return {
    name: 'export',
    summary: "render an allowlist for a host's ipset, nftables or nginx",
    async run(argv: string[], io: Io): Promise<number> {
      let output: string | undefined;
      try {
        const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
        if (values.help) {
          io.stdout.write(help);
          return Exit.OK;
        }
        output = values.output;
        const format = checkUsage(values, positionals);
        // Every option is checked before any source is read: a bad option costs no fetch and writes nothing.
        const realIpFrom = (values['real-ip-from'] ?? []).map((c) => parseRealIpFrom(c));
        const allowlist = values.config ? await allowlistOf(values.config, values.allowlist as string) : undefined;
        const options: RenderOptions = {
          name: values.name ?? (allowlist ? allowlist.name.replace(/-/g, '_') : 'allowlist'),
          table: values.table ?? 'filter',
          realIpFrom,
          ...(values['real-ip-header'] !== undefined ? { realIpHeader: values['real-ip-header'] } : {}),
          realIpRecursive: values['real-ip-recursive'] === true,
        };
        if (format === 'nginx') checkNginxOptions(options);
        else checkSetName(format, options.name);
        if (format === 'nftables') checkSetName(format, options.table, '--table');
        const list = allowlist
          ? await fromConfig(allowlist, deps, output, dirname(resolve(values.config as string)))
          : await fromFiles(positionals, values, io);
        const text = render(format, list.set, list.header, options);
        const bytes = Buffer.from(text, 'utf8');
        if (output === undefined) {
          io.stdout.write(bytes);
          return Exit.OK;
        }
        const { changed } = writeFileAtomic(output, bytes);
        const summary: ExportSummary = {
          format,
          output,
          changed,
          prefixes: { ipv4: list.set.prefixCount(4), ipv6: list.set.prefixCount(6) },
          bytes: bytes.byteLength,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          from: [...list.header.from],
          ...(list.header.serial !== undefined ? { serial: list.header.serial } : {}),
        };
        io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
        return Exit.OK;
      } catch (error) {
        const code = reportError('export', error, io);
        if (output !== undefined) io.stderr.write(`export: ${output} was left as it was\n`);
        return code;
      }
    },
  };
}

function checkUsage(values: Values, positionals: string[]): HostFormat {
  const to = values.to;
  if (to === undefined) throw new UsageError(`--to FORMAT is required: ${HOST_FORMATS.join(', ')}`);
  if (!(HOST_FORMATS as readonly string[]).includes(to)) {
    throw new UsageError(`--to "${to}": unknown format; expected one of ${HOST_FORMATS.join(', ')}`);
  }
  const format = to as HostFormat;
  if (values.config !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(`"${positionals[0]}": with --config the lists come from the config; drop the FILEs`);
    }
    const policy = POLICY_FLAGS.find((f) => values[f as keyof Values] !== undefined);
    if (policy) {
      throw new UsageError(`--${policy}: with --config the allowlist's own policy applies; set it in the config`);
    }
    if (values.allowlist === undefined) throw new UsageError('--allowlist NAME is required with --config');
  } else if (values.allowlist !== undefined) {
    throw new UsageError(`--allowlist "${values.allowlist}" needs --config FILE`);
  }
  if (format === 'nginx') {
    if (values.name !== undefined) throw new UsageError('--name: an nginx include has no set name; drop it');
  } else {
    const flag = NGINX_FLAGS.find((f) => values[f] !== undefined);
    if (flag) throw new UsageError(`--${flag} applies to --to nginx only`);
  }
  if (values.table !== undefined && format !== 'nftables')
    throw new UsageError('--table applies to --to nftables only');
  if (values.json && values.output === undefined) {
    throw new UsageError('--json describes the file written: add --output FILE (without it the export is printed)');
  }
  return format;
}

function parseRealIpFrom(text: string): Cidr {
  try {
    return parseCidr(text);
  } catch (error) {
    throw new UsageError(`--real-ip-from "${text}": ${(error as Error).message}`);
  }
}

interface ExportList {
  readonly set: PrefixSet;
  readonly header: ExportHeader;
}

interface RenderOptions {
  readonly name: string;
  readonly table: string;
  readonly realIpFrom: Cidr[];
  readonly realIpHeader?: string;
  readonly realIpRecursive: boolean;
}

async function fromFiles(files: string[], values: Values, io: Io): Promise<ExportList> {
  const { 'real-ip-from': _, ...flags } = values;
  const built = await buildFromArgs(files, flags, io);
  return {
    set: built.set,
    header: {
      from: files.map((f) => (f === '-' ? '<stdin>' : f)),
      ...(built.serial !== undefined ? { serial: built.serial } : {}),
    },
  };
}

async function allowlistOf(path: string, name: string): Promise<Allowlist> {
  return selectAllowlist(await readRuntimeConfigFile(path), name, path);
}

/** `baseDir` is the config file's directory: a relative `file` source path is read from there, as plan reads it. */
async function fromConfig(
  allowlist: Allowlist,
  deps: ExportDeps,
  output: string | undefined,
  baseDir: string,
): Promise<ExportList> {
  // Loaded here, not at the top: the plain-list mode never loads the AWS SDK.
  const { loadAllowlist } = await import('../../lambda/sources/load.js');
  // The host's record of the last serial it applied is the header of its last good export: a signed list older than
  // that is refused (serial-rollback), as the function refuses one older than the serial it keeps in SSM.
  const last = output === undefined ? undefined : lastExportedSerial(output);
  const serialStore: SerialStore = { get: async () => last, put: async () => undefined };
  const loaded = await loadAllowlist(allowlist, { ...deps.sources(), serialStore, baseDir });
  return {
    set: loaded.desired.set,
    header: {
      from: loaded.provenance.map((p) => p.location),
      ...(loaded.serial !== undefined ? { serial: loaded.serial } : {}),
    },
  };
}

/** The `# serial N` in the header comment of an export this command wrote at `path`, if there is one. */
export function lastExportedSerial(path: string): number | undefined {
  const head = Buffer.alloc(4096);
  let n = 0;
  try {
    // The header only: an ipset script of a long list is megabytes.
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const lines = head.toString('utf8', 0, n).split('\n');
  if (!lines[0]?.startsWith('# allowlist-sync export ')) return undefined;
  for (const line of lines) {
    if (!line.startsWith('#')) break;
    const match = /^# serial (\d+)$/.exec(line);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function selectAllowlist(config: RuntimeConfig, name: string, path: string): Allowlist {
  const allowlist = config.allowlists.find((a) => a.name === name);
  if (!allowlist) {
    const known = config.allowlists.map((a) => `"${a.name}"`).join(', ');
    throw new ConfigError(path, [`--allowlist: no allowlist named "${name}"; the config has ${known}`]);
  }
  return allowlist;
}

function render(format: HostFormat, set: PrefixSet, header: ExportHeader, o: RenderOptions): string {
  switch (format) {
    case 'ipset':
      return renderIpset(set, { name: o.name }, header);
    case 'nftables':
      return renderNftables(set, { name: o.name, table: o.table }, header);
    case 'nginx':
      return renderNginx(
        set,
        {
          realIpFrom: o.realIpFrom,
          ...(o.realIpHeader !== undefined ? { realIpHeader: o.realIpHeader } : {}),
          realIpRecursive: o.realIpRecursive,
        },
        header,
      );
  }
}

function renderSummary(s: ExportSummary): string {
  const what = `${s.prefixes.ipv4.toLocaleString('en-US')} IPv4 + ${s.prefixes.ipv6.toLocaleString('en-US')} IPv6 prefixes`;
  return `${s.changed ? 'wrote' : 'unchanged'} ${s.output}: ${s.format}, ${what}${s.serial !== undefined ? `, serial ${s.serial}` : ''}\n`;
}

/** The `export` command, reading config-mode sources with the SDK's default clients and the real clock. */
export const command: Command = createExportCommand({ sources: () => ({ now: Date.now }) });
