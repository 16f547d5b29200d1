/**
 * `allowlist-sync explain ADDRESS... --config FILE`: for each address or prefix, which allowlists admit it, every
 * source entry that covers it (as written, with its place, note, owner and expiry), the aggregated prefix the targets
 * hold, and, when nothing admits it, the nearest entries. With `--live` it also reads each target (read-only, the same
 * observe a plan makes) and says what admits the address there now, ours or drift, and what the next apply changes.
 *
 * Each allowlist is read exactly as a sync reads it (same sources, verification, parsing and policy), so the answer
 * is what a sync would apply. Exit: 0 every address admitted by a selected allowlist, 3 some not, 1 error.
 */

import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Allowlist, Source } from '../../lambda/config';
import { buildAllowlist } from '../../lambda/core/allowlist';
import { documentEntryMeta, explainPrefix, type SearchSource } from '../../lambda/core/explain';
import { explainLive, type ObservedTarget } from '../../lambda/core/explain-live';
import { parseSource } from '../../lambda/core/formats';
import type { Desired } from '../../lambda/core/model';
import { type Cidr, parseCidr } from '../../lambda/core/prefix';
import type { SourceDeps } from '../../lambda/sources/fetch';
import type { TargetDriver } from '../../lambda/targets/types';
import { reportError, UsageError } from './args';
import { awsSettingsFromFlags, nodeVersionNotice, requireRegion } from './aws-settings';
import { wantsJson } from './cli-error';
import { readRuntimeConfigFile } from './config-file';
import type { ClientOptions, ExplainDeps } from './explain-deps';
import { type AddressReport, type AllowlistAnswer, type LiveAnswer, renderExplainText } from './explain-render';
import type { Command, Io } from './io';

/** Exit codes of `explain`. */
export const ExplainExit = { ADMITTED: 0, ERROR: 1, NOT_ADMITTED: 3 } as const;

export type { ClientOptions, ExplainDeps } from './explain-deps';

const help = `Usage: allowlist-sync explain ADDRESS... --config FILE [--allowlist NAME]... [--live] [--json]

For each address or prefix: which allowlists admit it, every source entry that covers it as written (FILE:LINE,
inline:N, or a feed's JSON path) with its note, owner and expiry, and the aggregated prefix the targets hold.
When nothing admits it, the nearest entries. Each allowlist is read exactly as a sync reads it.

Options:
  --config FILE      RuntimeConfig (JSON, or YAML by extension .yaml/.yml)
  --allowlist NAME   explain against this allowlist only (repeatable; default all)
  --live             also read each target (read-only): what admits the address there now, ours or drift,
                     and whether the next apply adds or removes it
  --region REGION    AWS Region for --live and remote sources (default: the SDK's environment)
  --profile NAME     AWS profile for --live and remote sources (default: the SDK's environment)
  --json             print the answer as JSON
  -h, --help         this help

Exit codes: 0 every address admitted by at least one selected allowlist, 3 at least one not, 1 error
(a malformed address is named on stderr; nothing is printed on stdout, or with --json the JSON error object,
see docs/cli-errors.md).
`;

/** Builds the explain command over the given deps (the CLI passes the real SDK clients). */
export function createExplainCommand(
  deps: (options: ClientOptions, io: Io, callsAws: boolean) => Promise<ExplainDeps>,
): Command {
  return {
    name: 'explain',
    summary: 'say which entries admit an address, and where',
    async run(argv: string[], io: Io): Promise<number> {
      try {
        const { values, positionals } = parseArgs({
          args: argv,
          allowPositionals: true,
          options: {
            config: { type: 'string', short: 'c' },
            allowlist: { type: 'string', multiple: true },
            live: { type: 'boolean' },
            json: { type: 'boolean' },
            region: { type: 'string' },
            profile: { type: 'string' },
            help: { type: 'boolean', short: 'h' },
          },
        });
        if (values.help) {
          io.stdout.write(help);
          return ExplainExit.ADMITTED;
        }
        if (positionals.length === 0) throw new UsageError('no ADDRESS given; e.g. explain 203.0.113.7 --config FILE');
        // Every address is checked before anything is read: a typo costs no fetch and prints nothing on stdout.
        const queries = positionals.map(parseQuery);
        if (typeof values.config !== 'string') throw new UsageError('--config FILE is required');
        const config = await readRuntimeConfigFile(values.config);
        const { selectAllowlists } = await import('../../lambda/engine/index.js');
        const selected = selectAllowlists(config, values.allowlist);
        const aws = awsSettingsFromFlags(values);
        // AWS is called for --live and for S3 and SSM sources: the Region is checked before the first request.
        const callsAws =
          values.live === true || selected.some((a) => a.sources.some((s) => s.kind === 's3' || s.kind === 'ssm'));
        const resolved = await deps({ ...aws, config }, io, callsAws);
        const region = resolved.region;
        if (callsAws && region) await requireRegion({ config: { region } }, aws, io.env);
        const loaded: Loaded[] = [];
        // A relative `file` source path is read from the config file's directory, as plan reads it.
        const sources = { ...resolved.sources, baseDir: dirname(resolve(values.config)) };
        for (const allowlist of selected) loaded.push(await loadForExplain(allowlist, sources));
        const live = values.live ? await observeAll(loaded, resolved) : undefined;
        const reports = queries.map((q) => explainQuery(q, loaded, live));
        io.stdout.write(
          values.json
            ? `${JSON.stringify({ admitted: reports.every((r) => r.admitted), addresses: reports }, null, 2)}\n`
            : renderExplainText(reports),
        );
        return reports.every((r) => r.admitted) ? ExplainExit.ADMITTED : ExplainExit.NOT_ADMITTED;
      } catch (error) {
        return reportError('explain', error, io, wantsJson(argv));
      }
    },
  };
}

function parseQuery(text: string, index: number): Cidr {
  try {
    return parseCidr(text);
  } catch (error) {
    throw new UsageError(
      `ADDRESS ${index + 1}: ${(error as Error).message}; give an IPv4 or IPv6 address or prefix, e.g. 203.0.113.7 or 2001:db8::/48`,
    );
  }
}

interface Loaded {
  readonly allowlist: Allowlist;
  readonly desired: Desired;
  readonly sources: SearchSource[];
}

/** Reads one allowlist as `loadAllowlist` does (fetch, verify, parse, policy), keeping each entry's origin. */
async function loadForExplain(allowlist: Allowlist, deps: SourceDeps): Promise<Loaded> {
  const { fetchSource } = await import('../../lambda/sources/fetch.js');
  const fetched = [];
  for (const source of allowlist.sources) fetched.push(await fetchSource(source, deps));
  const now = new Date(deps.now());
  const inputs = fetched.map((f) => ({ label: f.provenance.location, bytes: f.bytes, format: formatOf(f.source) }));
  // Refused as a sync would refuse it (ParseError, PolicyError): the problems name the source and line.
  const built = buildAllowlist(inputs, allowlist.policy, now);
  // Parsed a second time, per source, for the origins: the build above is what a sync applies; this says where.
  const sources = inputs.map((input): SearchSource => {
    const parsed = parseSource(input.label, input.bytes, input.format, {
      maskHostBits: allowlist.policy.maskHostBits,
      now,
    });
    const meta = input.format.type === 'allowlist' ? documentEntryMeta(input.bytes) : undefined;
    return { entries: parsed.entries, describe: parsed.describe, expired: parsed.expired, ...(meta ? { meta } : {}) };
  });
  return {
    allowlist,
    desired: { allowlist: allowlist.name, set: built.set, cidrs: built.cidrs, notes: built.notes },
    sources,
  };
}

function formatOf(source: Source) {
  return source.kind === 'inline' ? ({ type: 'text' } as const) : source.format;
}

interface Observed {
  readonly target: ObservedTarget;
  readonly plan: ReturnType<TargetDriver['plan']>;
}

/** Observes and plans every target of every loaded allowlist: reads only, as a dry run does. */
async function observeAll(loaded: readonly Loaded[], deps: ExplainDeps): Promise<Map<string, Observed[]>> {
  const out = new Map<string, Observed[]>();
  for (const l of loaded) {
    const list: Observed[] = [];
    for (const target of l.allowlist.targets) {
      const driver = deps.drivers(target, l.allowlist.name);
      const observed = await driver.observe();
      list.push({
        target: { kind: target.kind, observed } as ObservedTarget,
        plan: driver.plan(l.desired, observed),
      });
    }
    out.set(l.allowlist.name, list);
  }
  return out;
}

function explainQuery(
  query: Cidr,
  loaded: readonly Loaded[],
  live: Map<string, Observed[]> | undefined,
): AddressReport {
  const allowlists = loaded.map((l): AllowlistAnswer => {
    const answer = explainPrefix(query, l.desired.set, l.sources);
    const targets = live?.get(l.allowlist.name);
    const liveAnswers: LiveAnswer[] | undefined = targets?.map((t) => ({
      kind: t.target.kind,
      ...explainLive(query, l.allowlist.name, t.target, t.plan),
    }));
    return { name: l.allowlist.name, ...answer, ...(liveAnswers ? { live: liveAnswers } : {}) };
  });
  return { query, admitted: allowlists.some((a) => a.admitted === 'yes'), allowlists };
}

// The SDK is loaded only when explain runs (a bundled module, so no ESM loader: see bin/allowlist-sync.ts).
const realDeps = async (options: ClientOptions, io: Io, callsAws: boolean): Promise<ExplainDeps> => {
  // Before the SDK builds a client: its eight-line Node.js notice becomes one line.
  if (callsAws) nodeVersionNotice(io);
  return (await import('./explain-deps.js')).createExplainDeps(options);
};

/** `allowlist-sync explain`. */
export const command: Command = createExplainCommand(realDeps);
