/**
 * Targets that take one address family (docs/design.md P14) against moto, through the built CLI: an IPv4-only
 * prefix list fed a list with IPv4 and IPv6 prefixes holds the IPv4 part, a dual-stack WAF pool of the same allowlist
 * holds both, the report says what the prefix list leaves out and counts exactly the writes moto recorded; with
 * `families` unset the same prefix list still refuses the IPv6 part, with zero target writes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/built-cli';
import { MOTO_CASE_TIMEOUT_MS, type MotoServer, moto, startMoto } from '../support/moto';
import {
  createBucket,
  createIpSet,
  createPrefixList,
  ipSetAddresses,
  prefixListEntries,
} from '../support/moto-resources';
import { runCli, writeConfigFile } from './cli-run';
import { BUCKET, KEY, LIST_V1, listText, reportedWrites, targetWrites } from './world';

const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-moto-families-'));
const V4 = LIST_V1.filter((c) => !c.includes(':')).sort();
const V6 = LIST_V1.filter((c) => c.includes(':')).sort();
let server: MotoServer;

beforeAll(async () => {
  if (!moto.available) return;
  ensureBuilt();
  server = await startMoto();
}, MOTO_CASE_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!moto.available)(
  'an IPv4-only prefix list fed a dual-family list (moto)',
  { timeout: MOTO_CASE_TIMEOUT_MS },
  () => {
    let list4: string;
    beforeEach(async () => {
      await server.reset();
      list4 = await createPrefixList(server.clients, 'partners-v4', 4, 20);
      await createBucket(server.clients, BUCKET, { [KEY]: listText(LIST_V1) });
    });

    const config = (targets: unknown[]) =>
      writeConfigFile(dir, {
        version: 1,
        allowlists: [{ name: 'partners', sources: [{ kind: 's3', bucket: BUCKET, key: KEY }], targets }],
      });

    it('holds the IPv4 part while a dual-stack WAF pool holds both; the report says what is left out', async () => {
      const set4 = await createIpSet(server.clients, 'partners-v4', 'IPV4');
      const set6 = await createIpSet(server.clients, 'partners-v6', 'IPV6');
      const file = config([
        { kind: 'prefix-lists', ipv4: list4, families: ['ipv4'] },
        { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [set4], ipv6: [set6] },
      ]);

      const apply = await runCli(server, ['apply', '--config', file, '--json']);
      expect(apply.status, apply.stderr).toBe(0);
      const [pl, waf] = apply.report?.allowlists[0]?.targets ?? [];
      expect(pl).toMatchObject({
        status: 'changed',
        added: { count: V4.length },
        leftOut: { family: 6, prefixes: V6.length },
      });
      expect(waf).toMatchObject({ status: 'changed', added: { count: LIST_V1.length } });
      expect(await prefixListEntries(server.clients, list4)).toEqual(V4);
      expect(await ipSetAddresses(server.clients, set4)).toEqual(V4);
      expect(await ipSetAddresses(server.clients, set6)).toEqual(V6);
      // The prefix list got only IPv4 in every modify moto recorded, and the report counts exactly those writes.
      const modifies = apply.calls.filter((c) => c.action === 'ModifyManagedPrefixList');
      expect(modifies.length).toBeGreaterThan(0);
      expect(JSON.stringify(modifies)).not.toMatch(/2a05/);
      expect(targetWrites(apply.calls).length).toBe(reportedWrites(apply.report!));

      const text = await runCli(server, ['plan', '--config', file]);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        `  prefix-lists:${list4} [unchanged]\n    no changes (${V4.length} unchanged)\n    IPv4 only; ${V6.length} IPv6 prefixes left out\n`,
      );
      expect(targetWrites(text.calls)).toEqual([]);
    });

    it('with families unset, refuses the IPv6 part as before and writes nothing to the targets', async () => {
      const apply = await runCli(server, [
        'apply',
        '--config',
        config([{ kind: 'prefix-lists', ipv4: list4 }]),
        '--json',
      ]);
      expect(apply.status).toBe(1);
      const pl = apply.report?.allowlists[0]?.targets[0];
      expect(pl?.status).toBe('refused');
      expect(pl?.error?.override).toContain('the target has no IPv6 prefix list');
      expect(targetWrites(apply.calls)).toEqual([]);
      expect(await prefixListEntries(server.clients, list4)).toEqual([]);
    });
  },
);
