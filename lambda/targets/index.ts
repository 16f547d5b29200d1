/**
 * The driver factory: one driver per configured target, its SDK client injected. Clients are built by the caller
 * (the handler or the CLI), never at module scope, so tests and the battery pass the fakes' clients.
 *
 * Two things are shared by every driver a factory builds, because AWS shares them: the run's clock and waits (a
 * prefix list's `observe` waits out a busy list outside any ApplyContext, so it needs them from here, or it would
 * sleep for real in tests), and WAF's write pace (one write per second per account and Region, docs/aws-behaviour.md
 * §23: two WAF targets of one run must not each think they have the whole second).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Target } from '../config';
import { ConfigError } from '../core/errors';
import { PrefixListDriver } from './prefix-list';
import { SecurityGroupDriver } from './security-group';
import type { TargetDriver } from './types';
import { WafIpSetDriver, WafWriteLimiter } from './waf-ip-set';

/** The clients the drivers need; a target whose client is missing is a ConfigError naming it. */
export interface DriverClients {
  readonly ec2?: EC2Client;
  /** A WAFv2 client for the scope: CLOUDFRONT needs one in us-east-1 (docs/aws-behaviour.md §24). */
  readonly wafv2?: (scope: 'REGIONAL' | 'CLOUDFRONT') => WAFV2Client;
  /** The run's waits, for what a driver does outside `apply` (a busy prefix list in `observe`). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The run's clock, with {@link sleep}. @default Date.now */
  readonly now?: () => number;
}

/**
 * WAF write pacers, one per WAFv2 client. A caller builds one client per Region (the handler: the function's Region
 * for REGIONAL, us-east-1 for CLOUDFRONT, the same client when the function runs in us-east-1), so this is one pacer
 * per Region, shared by every WAF driver built with it.
 */
export class WafPacers {
  private readonly byClient = new WeakMap<WAFV2Client, WafWriteLimiter>();

  /** The pacer of the client's Region; the same object for every call with the same client. */
  for(client: WAFV2Client): WafWriteLimiter {
    let limiter = this.byClient.get(client);
    if (limiter === undefined) {
      limiter = new WafWriteLimiter();
      this.byClient.set(client, limiter);
    }
    return limiter;
  }
}

/**
 * Builds the driver of one target of one allowlist. Pass the run's {@link WafPacers} so its WAF drivers share the
 * one-write-per-second pace; without it the driver paces only itself (fine for a single WAF target).
 */
export function createDriver(
  target: Target,
  allowlist: string,
  clients: DriverClients,
  pacers: WafPacers = new WafPacers(),
): TargetDriver {
  switch (target.kind) {
    case 'security-groups':
      return new SecurityGroupDriver(target, allowlist, { ec2: need(clients.ec2, 'ec2', target.kind) });
    case 'prefix-lists':
      return new PrefixListDriver(
        target,
        allowlist,
        { ec2: need(clients.ec2, 'ec2', target.kind) },
        { ...(clients.sleep ? { sleep: clients.sleep } : {}), ...(clients.now ? { now: clients.now } : {}) },
      );
    case 'waf-ip-sets': {
      const wafv2 = need(clients.wafv2, 'wafv2', target.kind)(target.scope);
      return new WafIpSetDriver(target, allowlist, { wafv2 }, { limiter: pacers.for(wafv2) });
    }
  }
}

/**
 * `createDriver` with the clients bound, as the engine takes it. Every driver it builds shares one {@link WafPacers}:
 * build one factory per run (the engine does) or per process (the quota is the account's, whatever the run).
 */
export function driverFactory(clients: DriverClients): (target: Target, allowlist: string) => TargetDriver {
  const pacers = new WafPacers();
  return (target, allowlist) => createDriver(target, allowlist, clients, pacers);
}

function need<T>(client: T | undefined, name: string, kind: Target['kind']): T {
  if (client === undefined) {
    throw new ConfigError('engine dependencies', [`${name}: a ${kind} target needs an ${name} client`]);
  }
  return client;
}
