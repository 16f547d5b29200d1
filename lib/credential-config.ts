/**
 * Credential binding, as a platform team declares it: per allowlist, the request header that carries a partner's
 * credential and how to recognise it WITHOUT putting a secret into the WAF configuration, and where the client
 * address comes from. Checked at synth: the schemas here refuse what one allowlist gets wrong; `credentialIssues`
 * refuses what only the whole config shows (two partners with the same credential, an address source that differs
 * from the allowlist's own rule group). Pure: no CDK, no I/O. See docs/credential-binding.md.
 */
import * as z from 'zod';

/** How the rule reads a client address that a proxy or CDN put in a header (docs/aws-behaviour.md §26). */
export const ForwardedIpSchema = z.strictObject({
  headerName: z.string().regex(/^[A-Za-z0-9-]{1,255}$/, 'a header name is letters, digits and "-"'),
  // What WAF does with a request whose header is missing or holds no valid address. On an allow rule MATCH would
  // admit any client that leaves the header out: only NO_MATCH (fail closed) is accepted.
  fallbackBehavior: z
    .literal('NO_MATCH', {
      message:
        'must be "NO_MATCH": with "MATCH" a request without the header would match the allow rule, so any client could bypass the allowlist by leaving it out',
    })
    .default('NO_MATCH'),
  position: z.enum(['FIRST', 'LAST', 'ANY']),
});
/** The forwarded-IP configuration. */
export type ForwardedIpConfig = z.infer<typeof ForwardedIpSchema>;

/**
 * Words in a header name that say it carries a secret (an API key, a token, a password, a session). An exact match on
 * such a header would write the whole credential into the web ACL, which anyone who may read the web ACL, the rule
 * group, the CloudFormation template or CloudTrail then reads.
 */
const SECRET_WORDS = ['authorization', 'auth', 'token', 'secret', 'key', 'pass', 'session', 'signature', 'cookie'];

/** The word that marks `header` as secret-carrying, if any (case-insensitive). */
export function secretWordOf(header: string): string | undefined {
  const lower = header.toLowerCase();
  return SECRET_WORDS.find((word) => lower.includes(word));
}

const ForwardedClientAddress = z.strictObject({
  forwardedIp: ForwardedIpSchema.extend({
    // On a block rule MATCH would count a request without a valid address in the header as listed.
    fallbackBehavior: z
      .literal('NO_MATCH', {
        message:
          'must be "NO_MATCH": with "MATCH" a request whose header holds no valid address would count as coming from the partner\'s addresses, so a stolen key would pass with a made-up header',
      })
      .default('NO_MATCH'),
  }),
});
/** Where a request's client address comes from. */
export type ClientAddress = 'connection' | z.infer<typeof ForwardedClientAddress>;

/**
 * "connection" or `{ forwardedIp }`. Not a z.union: a union reports only that no option fits, and the reason a
 * forwarded-IP config is refused (fallback MATCH, a bad header name) must reach the user with its field.
 */
const ClientAddressSchema = z.unknown().transform((value, ctx): ClientAddress => {
  if (value === 'connection') return value;
  if (typeof value !== 'object' || value === null) {
    ctx.addIssue({ code: 'custom', message: 'give "connection" or { "forwardedIp": { "headerName", "position" } }' });
    return z.NEVER;
  }
  const result = ForwardedClientAddress.safeParse(value);
  if (result.success && result.data.forwardedIp.position !== 'LAST') {
    // Proxies append what they saw: every entry before the last one of your own proxy is written by the client.
    ctx.addIssue({
      code: 'custom',
      path: ['forwardedIp', 'position'],
      message: `"${result.data.forwardedIp.position}" reads an address the client wrote itself, so a stolen key would pass with a partner's address put into the header: use "LAST" (the address your own proxy appended), or "connection" when no proxy is in front`,
    });
    return z.NEVER;
  }
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

/** Printable ASCII without leading or trailing space: HTTP strips the spaces around a field value (RFC 9110 §5.5). */
const CREDENTIAL_VALUE = /^[!-~](?:[ -~]{0,198}[!-~])?$/;

/** The credential one allowlist binds, and where the client address of a request comes from. */
export const CredentialSchema = z
  .strictObject({
    /** The request header. WAF matches a SingleHeader's name case-insensitively (WAF API Reference, SingleHeader). */
    header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, "a header name is 1–64 letters, digits or !#$%&'*+.^_`|~-"),
    /** A non-secret key prefix or key id: the header's value starts with it. */
    startsWith: z
      .string()
      .regex(CREDENTIAL_VALUE, '1–200 printable ASCII characters, not starting or ending with a space')
      .optional(),
    /** The exact value of a header that carries no secret (a client id). */
    exactly: z
      .string()
      .regex(CREDENTIAL_VALUE, '1–200 printable ASCII characters, not starting or ending with a space')
      .optional(),
    /**
     * Match the value case-insensitively (WAF's LOWERCASE text transformation, 10 WCU more). Use it when the API
     * accepts the credential in any case: otherwise `ACME_...` would pass the WAF unjudged. @default false
     */
    caseInsensitive: z.boolean().default(false),
    /** The connection's source address, or a forwarded-IP header (fail closed when missing or malformed). */
    clientAddress: ClientAddressSchema,
  })
  .superRefine((c, ctx) => {
    if ((c.startsWith === undefined) === (c.exactly === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'give exactly one of "startsWith" (a non-secret key prefix or key id) or "exactly" (a non-secret value)',
      });
      return;
    }
    const word = secretWordOf(c.header);
    if (c.header.toLowerCase() === 'cookie') {
      ctx.addIssue({
        code: 'custom',
        path: ['header'],
        message:
          'a credential in "cookie" cannot be bound: the client chooses the order of its cookies, so a prefix match is bypassed by sending another cookie first; bind the header the API reads the key from',
      });
    } else if (c.exactly !== undefined && word !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['exactly'],
        message: `header "${c.header}" carries secrets ("${word}"): "exactly" would write the whole credential into the web ACL, readable by anyone who may read the web ACL, its template or CloudTrail; use "startsWith" with the key's non-secret prefix or key id, or bind a header without secrets (a client id) with "exactly"`,
      });
    }
    const value = c.startsWith ?? c.exactly!;
    if (c.caseInsensitive && value !== value.toLowerCase()) {
      ctx.addIssue({
        code: 'custom',
        path: [c.startsWith !== undefined ? 'startsWith' : 'exactly'],
        message: `"${value}" has upper-case letters, but "caseInsensitive" lowercases the header before matching, so it would never match: write "${value.toLowerCase()}"`,
      });
    }
  });
/** One allowlist's credential binding. */
export type CredentialConfig = z.infer<typeof CredentialSchema>;

/** The stack-wide options of credential binding. */
export const CredentialBindingSchema = z.strictObject({
  /**
   * A web ACL for the binding rule groups: "allow-others" lets every request the binding does not block through (an
   * otherwise open API); "network-allowlist" then runs the allow rule groups of the allowlists in that scope and
   * blocks the rest. @default none: reference the rule group(s) from your own web ACL, before its allow rules
   */
  webAcl: z.enum(['allow-others', 'network-allowlist']).optional(),
  /**
   * The capacity each binding rule group is created with. A rule group's capacity is fixed at creation, and a change
   * replaces the group (and its ARN): reserve room for partners to come. @default the rules' own WCUs
   */
  ruleGroupCapacity: z.int().min(1).max(5000).optional(),
});
/** The stack-wide options of credential binding. */
export type CredentialBindingConfig = z.infer<typeof CredentialBindingSchema>;

/** What `credentialIssues` reads of an allowlist. */
export interface CredentialHolder {
  readonly name: string;
  readonly wafIpSets?:
    | {
        readonly scope: string;
        readonly credential?: CredentialConfig | undefined;
        readonly ruleGroup?: { readonly forwardedIp?: ForwardedIpConfig | undefined } | undefined;
      }
    | undefined;
}

/** One problem, with its path in the deployment config. */
export interface CredentialIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * The value a credential's match reduces to under every transformation the stack may apply (lower case, compressed
 * white space): two credentials can match one request only if one's normalised value starts with the other's.
 */
export function normalisedValue(c: CredentialConfig): string {
  return (c.startsWith ?? c.exactly!).toLowerCase().replace(/[\t\n\v\f\r\u00a0 ]+/g, ' ');
}

/** Problems only the whole config shows. Nested prefixes (`acme` and `acme2`) are not a problem: see credential-rules. */
export function credentialIssues(
  allowlists: readonly CredentialHolder[],
  binding: CredentialBindingConfig | undefined,
): CredentialIssue[] {
  const issues: CredentialIssue[] = [];
  const bound = allowlists.flatMap((a, i) =>
    a.wafIpSets?.credential ? [{ index: i, name: a.name, waf: a.wafIpSets, credential: a.wafIpSets.credential }] : [],
  );
  for (const b of bound) {
    const own = b.waf.ruleGroup?.forwardedIp;
    const address = b.credential.clientAddress;
    const binding = address === 'connection' ? undefined : address.forwardedIp;
    const describe = (f: ForwardedIpConfig | undefined) =>
      f === undefined ? "the connection's source" : `header "${f.headerName}" at position ${f.position}`;
    const same = binding !== undefined && own?.headerName.toLowerCase() === binding.headerName.toLowerCase();
    if (own !== undefined && !(same && own.position === binding!.position)) {
      issues.push({
        path: ['allowlists', b.index, 'wafIpSets', 'credential', 'clientAddress'],
        message: `the allow rule group of "${b.name}" reads the client address from ${describe(own)}, but its credential binding reads ${describe(binding)}: one request would be judged by two different addresses; use the same source in both`,
      });
    }
  }
  for (let i = 0; i < bound.length; i++) {
    for (let j = i + 1; j < bound.length; j++) {
      const [a, b] = [bound[i]!, bound[j]!];
      if (a.waf.scope !== b.waf.scope) continue;
      if (a.credential.header.toLowerCase() !== b.credential.header.toLowerCase()) continue;
      if (normalisedValue(a.credential) !== normalisedValue(b.credential)) continue;
      issues.push({
        path: ['allowlists', b.index, 'wafIpSets', 'credential'],
        message: `allowlists "${a.name}" and "${b.name}" bind the same credential (header "${b.credential.header}", "${b.credential.startsWith ?? b.credential.exactly}"${a.credential.caseInsensitive || b.credential.caseInsensitive ? ', compared case-insensitively' : ''}): a request carrying it could not say whose list judges it; give each partner its own key prefix or key id`,
      });
    }
  }
  if (binding?.webAcl === 'network-allowlist') {
    for (const scope of new Set(bound.map((b) => b.waf.scope))) {
      if (!allowlists.some((a) => a.wafIpSets?.scope === scope && a.wafIpSets.ruleGroup !== undefined)) {
        issues.push({
          path: ['credentialBinding', 'webAcl'],
          message: `"network-allowlist" runs the allow rule groups of scope ${scope}, but no allowlist there has one: add "ruleGroup": {} to an allowlist's wafIpSets, or use "allow-others"`,
        });
      }
    }
  }
  if (binding !== undefined && bound.length === 0) {
    issues.push({
      path: ['credentialBinding'],
      message:
        'no allowlist binds a credential: add "credential" to an allowlist\'s wafIpSets, or remove "credentialBinding"',
    });
  }
  return issues;
}
