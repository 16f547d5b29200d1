/**
 * The driver factory: one driver per configured target, its SDK client injected. Clients are built by the caller
 * (the handler or the CLI), never at module scope, so tests and the battery pass the fakes' clients.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Target } from '../config';
import { ConfigError } from '../core/errors';
import { PrefixListDriver } from './prefix-list';
import { SecurityGroupDriver } from './security-group';
import type { TargetDriver } from './types';
import { WafIpSetDriver } from './waf-ip-set';

/** The clients the drivers need; a target whose client is missing is a ConfigError naming it. */
export interface DriverClients {
  readonly ec2?: EC2Client;
  /** A WAFv2 client for the scope: CLOUDFRONT needs one in us-east-1 (AWS-FACTS 24). */
  readonly wafv2?: (scope: 'REGIONAL' | 'CLOUDFRONT') => WAFV2Client;
}

/** Builds the driver of one target of one allowlist. */
export function createDriver(target: Target, allowlist: string, clients: DriverClients): TargetDriver {
  switch (target.kind) {
    case 'security-groups':
      return new SecurityGroupDriver(target, allowlist, { ec2: need(clients.ec2, 'ec2', target.kind) });
    case 'prefix-lists':
      return new PrefixListDriver(target, allowlist, { ec2: need(clients.ec2, 'ec2', target.kind) });
    case 'waf-ip-sets':
      return new WafIpSetDriver(target, allowlist, {
        wafv2: need(clients.wafv2, 'wafv2', target.kind)(target.scope),
      });
  }
}

/** `createDriver` with the clients bound, as the engine takes it. */
export function driverFactory(clients: DriverClients): (target: Target, allowlist: string) => TargetDriver {
  return (target, allowlist) => createDriver(target, allowlist, clients);
}

function need<T>(client: T | undefined, name: string, kind: Target['kind']): T {
  if (client === undefined) {
    throw new ConfigError('engine dependencies', [`${name}: a ${kind} target needs an ${name} client`]);
  }
  return client;
}
