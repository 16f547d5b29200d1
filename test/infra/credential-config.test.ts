/** The synth-time refusals of credential binding: each names the value, the place and the fix. */
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { AllowlistSync } from '../../lib/allowlist-sync';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { resolveEnvironment } from '../../lib/resolve-environment';
import { docExampleConfig } from './credential-doc';
import { FIXTURE_ENTRY } from './synth';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit the example's JSON in place, field by field.
type Json = Record<string, any>;

/** The worked example with `change` applied to a deep copy. */
function example(change: (config: Json) => void): Json {
  const config = structuredClone(docExampleConfig()) as Json;
  change(config);
  return config;
}

/** The message `parseDeploymentConfig` refuses `config` with. */
function refusal(config: Json): string {
  try {
    parseDeploymentConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    if (process.env.CREDENTIAL_REFUSALS === '1') console.log((error as Error).message);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

const acme = (config: Json) => config.allowlists[0].wafIpSets.credential as Json;

describe('credential binding refused at synth', () => {
  it('accepts the worked example', () => {
    expect(parseDeploymentConfig(docExampleConfig()).allowlists[0]!.wafIpSets!.credential!.startsWith).toBe('acme');
  });

  it.each([
    ['X-Api-Key', '"key"'],
    ['Authorization', '"authorization"'],
    ['X-Session-Id', '"session"'],
  ])('refuses "exactly" on the secret-carrying header %s, saying why and what to use', (header, word) => {
    const message = refusal(
      example((c) => {
        Object.assign(acme(c), { header, startsWith: undefined, exactly: 'acme_live_9f8e7d6c' });
      }),
    );
    expect(message).toContain(`allowlists[0].wafIpSets.credential.exactly`);
    expect(message).toContain(`header "${header}" carries secrets (${word})`);
    expect(message).toContain('use "startsWith" with the key\'s non-secret prefix or key id');
  });

  it('accepts "exactly" on a header without secrets (a client id)', () => {
    const config = example((c) =>
      Object.assign(acme(c), { header: 'X-Client-Id', startsWith: undefined, exactly: 'acme-prod' }),
    );
    expect(parseDeploymentConfig(config).allowlists[0]!.wafIpSets!.credential!.exactly).toBe('acme-prod');
  });

  it('refuses a cookie, whose order the client chooses', () => {
    expect(refusal(example((c) => Object.assign(acme(c), { header: 'Cookie' })))).toMatch(
      /credential\.header: a credential in "cookie" cannot be bound: the client chooses the order of its cookies/,
    );
  });

  it('refuses both or neither of startsWith and exactly, upper case under caseInsensitive, and MATCH fallback', () => {
    expect(refusal(example((c) => Object.assign(acme(c), { exactly: 'x' })))).toContain(
      'give exactly one of "startsWith" (a non-secret key prefix or key id) or "exactly"',
    );
    expect(refusal(example((c) => Object.assign(acme(c), { startsWith: 'Acme_', caseInsensitive: true })))).toContain(
      'credential.startsWith: "Acme_" has upper-case letters, but "caseInsensitive" lowercases the header before matching, so it would never match: write "acme_"',
    );
    const fallback = refusal(
      example((c) => {
        acme(c).clientAddress = {
          forwardedIp: { headerName: 'X-Forwarded-For', position: 'LAST', fallbackBehavior: 'MATCH' },
        };
      }),
    );
    const first = refusal(
      example((c) => {
        acme(c).clientAddress = { forwardedIp: { headerName: 'X-Forwarded-For', position: 'ANY' } };
      }),
    );
    expect(first).toContain(
      'credential.clientAddress.forwardedIp.position: "ANY" reads an address the client wrote itself, so a stolen key would pass with a partner\'s address put into the header: use "LAST"',
    );
    expect(fallback).toContain(
      'clientAddress.forwardedIp.fallbackBehavior: must be "NO_MATCH": with "MATCH" a request whose header holds no valid address would count as coming from the partner\'s addresses',
    );
  });

  it('refuses two allowlists with the same credential, also when only the case differs', () => {
    const message = refusal(
      example((c) => {
        Object.assign(c.allowlists[1].wafIpSets.credential, {
          header: 'x-api-key',
          startsWith: 'ACME',
          caseInsensitive: false,
        });
        Object.assign(acme(c), { caseInsensitive: true });
      }),
    );
    expect(message).toContain(
      'allowlists[1].wafIpSets.credential: allowlists "acme" and "acme2" bind the same credential (header "x-api-key", "ACME", compared case-insensitively): a request carrying it could not say whose list judges it',
    );
    expect(message).toContain('give each partner its own key prefix or key id');
  });

  it("refuses a binding that reads the client address elsewhere than its allowlist's allow rule group", () => {
    const message = refusal(
      example((c) => {
        c.allowlists[0].wafIpSets.ruleGroup = { forwardedIp: { headerName: 'X-Forwarded-For', position: 'LAST' } };
      }),
    );
    expect(message).toContain(
      'allowlists[0].wafIpSets.credential.clientAddress: the allow rule group of "acme" reads the client address from header "X-Forwarded-For" at position LAST, but its credential binding reads the connection\'s source',
    );
  });

  it('refuses "network-allowlist" without an allow rule group, and options with nothing bound', () => {
    expect(refusal(example((c) => (c.credentialBinding = { webAcl: 'network-allowlist' })))).toContain(
      'credentialBinding.webAcl: "network-allowlist" runs the allow rule groups of scope REGIONAL, but no allowlist there has one',
    );
    const unbound = example((c) => {
      for (const a of c.allowlists) delete a.wafIpSets.credential;
    });
    expect(refusal(unbound)).toContain('credentialBinding: no allowlist binds a credential');
  });

  it('refuses at synth a binding that needs more WCU than the reserved rule group capacity, with the numbers', () => {
    const config = parseDeploymentConfig(example((c) => (c.credentialBinding = { ruleGroupCapacity: 5 })));
    const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    let message = '';
    try {
      new AllowlistSync(stack, 'Sync', {
        allowlists: resolveEnvironment(config, config.environments[0]!.name).allowlists,
        credentialBinding: config.credentialBinding!,
        entry: FIXTURE_ENTRY,
        deployRunId: 'test',
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    if (process.env.CREDENTIAL_REFUSALS === '1') console.log(message);
    // acme: its byte match 2 + acme2's excluded 2 + two IP sets 2 = 6 WCU.
    expect(message).toContain(
      'credentialBinding (scope REGIONAL): the binding rules of allowlist "acme" need 6 WCU, more than the configured ruleGroupCapacity of 5: raise ruleGroupCapacity',
    );
  });
});
