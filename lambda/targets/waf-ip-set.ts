/**
 * The WAF IP set driver: reads a pool of IP sets (GetIPSet), plans with `core/plan-waf-ip-set.ts`, and sends the
 * planned UpdateIPSet calls. It maps between the SDK and the model and decides nothing.
 *
 * AWS surprises handled here: an UpdateIPSet needs the lock token of the last read, and a set written twice in one
 * plan needs the `NextLockToken` of the first write; `WAFOptimisticLockException` (someone else wrote the set) is not
 * retried by the SDK (docs/aws-behaviour.md §21) and becomes a {@link StateConflictError} so the engine re-reads and
 * re-plans; at most one write per second per account and Region (docs/aws-behaviour.md §23), paced on the injected
 * clock.
 */
import {
  GetIPSetCommand,
  type GetIPSetCommandOutput,
  UpdateIPSetCommand,
  type WAFV2Client,
} from '@aws-sdk/client-wafv2';
import type { Target } from '../config';
import { AllowlistSyncError, ConfigError } from '../core/errors';
import type { Desired, TargetPlan } from '../core/model';
import { type ObservedIpSet, planWafIpSets, type WafIpSetsObserved, type WafIpSetWrite } from '../core/plan-waf-ip-set';
import { type Cidr, type Family, parseCidr } from '../core/prefix';
import {
  type ApplyContext,
  ApplyDeadlineError,
  type ApplyResult,
  StateConflictError,
  type TargetDriver,
} from './types';

/** A WAF IP set target from the RuntimeConfig. */
export type WafIpSetsTarget = Extract<Target, { kind: 'waf-ip-sets' }>;

/** WAF allows one Create/Put/Update call per second per account and Region (docs/aws-behaviour.md §23). */
export const WAF_WRITE_INTERVAL_MS = 1000;

/**
 * Paces WAF writes to one per {@link WAF_WRITE_INTERVAL_MS}. The quota is per account and Region, so drivers of
 * several WAF targets in one run should share one limiter (pass it in the driver's options).
 */
export class WafWriteLimiter {
  private last = Number.NEGATIVE_INFINITY;

  /** Waits until a write may be sent, on the context's clock. */
  async ready(context: Pick<ApplyContext, 'now' | 'sleep'>): Promise<void> {
    const wait = this.last + WAF_WRITE_INTERVAL_MS - context.now();
    if (wait > 0) await context.sleep(wait);
  }

  /** Records that a write has just been answered (or failed). */
  wrote(context: Pick<ApplyContext, 'now'>): void {
    this.last = context.now();
  }
}

/** The AWS error that says another writer changed the set since our read. */
const LOCK_CONFLICT = 'WAFOptimisticLockException';

/** The AWS error for a set that does not exist under that name, id and scope (docs/aws-behaviour.md §21). */
const NOT_FOUND = 'WAFNonexistentItemException';

/**
 * IP sets of the pool that WAF does not know (a mistyped id, a set deleted outside the stack, the wrong Region or
 * scope). Raised at observe, so the run fails static at pre-flight: nothing is written to any target.
 */
export class IpSetNotFoundError extends AllowlistSyncError {
  override name = 'IpSetNotFoundError';
  constructor(
    readonly targetId: string,
    readonly scope: string,
    /** Each missing set with where the target names it (`ipv4[0]`). */
    readonly missing: readonly { readonly field: string; readonly name: string; readonly id: string }[],
    options?: { cause?: unknown },
  ) {
    const sets = missing.map((m) => `${m.field} "${m.name}" (id ${m.id})`).join(', ');
    super(
      `${targetId}: IP set${missing.length === 1 ? '' : 's'} ${sets} ${missing.length === 1 ? 'does' : 'do'} not exist ` +
        `in scope ${scope} in this account and Region (WAF ${NOT_FOUND}); nothing was written: correct the set's ` +
        'name and id in the target (a deployed stack writes them itself: run against its Region, and us-east-1 for ' +
        'CLOUDFRONT) or create the set, then run again',
      options,
    );
  }
}

/** Keeps a pool of WAF IP sets equal to an allowlist. */
export class WafIpSetDriver implements TargetDriver<WafIpSetsObserved, WafIpSetWrite> {
  readonly kind = 'waf-ip-sets' as const;
  readonly targetId: string;
  private readonly wafv2: WAFV2Client;
  private readonly limiter: WafWriteLimiter;

  constructor(
    private readonly target: WafIpSetsTarget,
    readonly allowlist: string,
    clients: { readonly wafv2: WAFV2Client },
    options: { readonly limiter?: WafWriteLimiter } = {},
  ) {
    this.wafv2 = clients.wafv2;
    this.limiter = options.limiter ?? new WafWriteLimiter();
    const names = [...target.ipv4, ...target.ipv6].map((s) => s.name).join(',');
    this.targetId = `waf-ip-sets:${target.scope}:${names}`;
  }

  /** Reads every set of the pool (GetIPSet), checks its family, and canonicalises its addresses. */
  async observe(): Promise<WafIpSetsObserved> {
    const missing: { field: string; name: string; id: string }[] = [];
    let cause: unknown;
    const read = async (family: Family): Promise<ObservedIpSet[]> => {
      const out: ObservedIpSet[] = [];
      const refs = family === 4 ? this.target.ipv4 : this.target.ipv6;
      for (const [index, ref] of refs.entries()) {
        let answer: GetIPSetCommandOutput;
        try {
          answer = await this.wafv2.send(new GetIPSetCommand({ Name: ref.name, Scope: this.target.scope, Id: ref.id }));
        } catch (error) {
          if ((error as Error).name !== NOT_FOUND) throw error;
          // Read the other sets too, so the error names every missing one at once.
          missing.push({ field: `ipv${family}[${index}]`, name: ref.name, id: ref.id });
          cause ??= error;
          continue;
        }
        const set = answer.IPSet;
        if (set === undefined || answer.LockToken === undefined) {
          throw new AllowlistSyncError(`${this.targetId}: GetIPSet of ${ref.name} (${ref.id}) returned no IP set`);
        }
        const version = family === 4 ? 'IPV4' : 'IPV6';
        if (set.IPAddressVersion !== version) {
          throw new ConfigError(`target ${this.targetId}`, [
            `ipv${family}[${index}]: IP set "${ref.name}" (${ref.id}) holds ${set.IPAddressVersion} addresses; ` +
              `list it under ipv${family === 4 ? 6 : 4} or name an ${version} set`,
          ]);
        }
        out.push({
          name: ref.name,
          id: ref.id,
          family,
          addresses: [...new Set((set.Addresses ?? []).map((text) => this.canonical(text, ref.name)))],
          ...(set.Description === undefined ? {} : { description: set.Description }),
          lockToken: answer.LockToken,
        });
      }
      return out;
    };
    const observed = { scope: this.target.scope, 4: await read(4), 6: await read(6) };
    if (missing.length > 0) throw new IpSetNotFoundError(this.targetId, this.target.scope, missing, { cause });
    return observed;
  }

  /** Pure: delegates to {@link planWafIpSets}. */
  plan(desired: Desired, observed: WafIpSetsObserved): TargetPlan<WafIpSetWrite> {
    return planWafIpSets(desired, observed);
  }

  /** Sends the planned UpdateIPSet calls in order, one per second at most. */
  async apply(plan: TargetPlan<WafIpSetWrite>, context: ApplyContext): Promise<ApplyResult> {
    // A set written twice in one plan: the second call needs the token the first one returned.
    const tokens = new Map<string, string>();
    let writeCalls = 0;
    for (const [index, write] of plan.writes.entries()) {
      await this.limiter.ready(context);
      if (context.now() >= context.deadline) throw new ApplyDeadlineError(this.targetId, index, plan.writes.length);
      writeCalls += 1;
      context.onWriteCall?.();
      try {
        const answer = await this.wafv2.send(
          new UpdateIPSetCommand({
            Name: write.name,
            Scope: write.scope,
            Id: write.id,
            Addresses: [...write.addresses],
            // UpdateIPSet replaces the description too: omitting it would clear it (docs/aws-behaviour.md §20).
            ...(write.description === undefined ? {} : { Description: write.description }),
            LockToken: tokens.get(write.id) ?? write.lockToken,
          }),
        );
        if (answer.NextLockToken !== undefined) tokens.set(write.id, answer.NextLockToken);
      } catch (error) {
        if ((error as Error).name === LOCK_CONFLICT) {
          throw new StateConflictError(this.targetId, LOCK_CONFLICT, { cause: error });
        }
        throw error;
      } finally {
        this.limiter.wrote(context);
      }
    }
    return { writeCalls };
  }

  private canonical(text: string, setName: string): Cidr {
    try {
      // WAF stores what it was sent; compare by value (docs/aws-behaviour.md §14), so `2001:DB8::/32` equals
      // `2001:db8::/32`.
      return parseCidr(text, { maskHostBits: true });
    } catch (error) {
      throw new AllowlistSyncError(`${this.targetId}: IP set ${setName} holds "${text}", which is not a prefix`, {
        cause: error,
      });
    }
  }
}
