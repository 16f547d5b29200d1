import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/core/errors';
import { allowlistsReadingObject, isIgnored, parseInvokeEvent } from '../../lambda/function/events';

const config = parseRuntimeConfig({
  version: 1,
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 's3', bucket: 'lists-bucket', key: 'partners/all lists.txt' }],
      targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
    },
    {
      name: 'signed',
      sources: [
        {
          kind: 's3',
          bucket: 'lists-bucket',
          key: 'signed.json',
          format: { type: 'allowlist' },
          integrity: { ed25519PublicKey: 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=' },
        },
        {
          kind: 'https',
          url: 'https://example.com/l.json',
          format: { type: 'allowlist' },
          integrity: {
            ed25519PublicKey: 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=',
            signatureLocation: 's3://sig-bucket/l.json.sig',
          },
        },
      ],
      targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef2' }],
    },
    {
      name: 'office',
      sources: [{ kind: 'inline', entries: ['198.51.100.0/24'] }],
      targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef1' }],
    },
  ],
});

const s3Event = (bucket: string, key: string) => ({
  version: '0',
  id: 'c9888434-815d-c6f4-9fc2-4dd7bdeccaaf',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '123456789012',
  time: '2026-01-01T00:00:00Z',
  region: 'eu-west-1',
  resources: [`arn:aws:s3:::${bucket}`],
  detail: { version: '0', bucket: { name: bucket }, object: { key, size: 10, etag: 'abc' }, reason: 'PutObject' },
});

function issuesOf(event: unknown): string[] {
  try {
    parseInvokeEvent(event, config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('parseInvokeEvent', () => {
  it.each([
    ['the schedule payload', { trigger: 'schedule' }, { trigger: 'schedule', dryRun: false }],
    ['the deploy payload', { trigger: 'deploy' }, { trigger: 'deploy', dryRun: false }],
    [
      'a classic EventBridge scheduled event',
      { 'detail-type': 'Scheduled Event', source: 'aws.events', id: 'x', time: 't', resources: [], detail: {} },
      { trigger: 'schedule', dryRun: false },
    ],
    ['an empty manual payload (plans only)', {}, { trigger: 'manual', dryRun: true }],
    ['a manual payload with dryRun true', { dryRun: true }, { trigger: 'manual', dryRun: true }],
    ['a manual payload with dryRun false (applies)', { dryRun: false }, { trigger: 'manual', dryRun: false }],
    [
      'a manual payload naming allowlists and forcing',
      { allowlists: ['office'], force: { reason: 'partner re-numbered' } },
      { trigger: 'manual', dryRun: true, allowlists: ['office'], force: { reason: 'partner re-numbered' } },
    ],
  ])('reads %s', (_, event, expected) => {
    expect(parseInvokeEvent(event, config)).toEqual(expected);
  });

  it('runs only the allowlists that read the created S3 object, and applies', () => {
    expect(parseInvokeEvent(s3Event('lists-bucket', 'partners/all lists.txt'), config)).toEqual({
      trigger: 's3',
      dryRun: false,
      allowlists: ['partners'],
      object: 's3://lists-bucket/partners/all lists.txt',
    });
  });

  it('matches an S3 key that arrives URL-encoded', () => {
    expect(allowlistsReadingObject(config, 'lists-bucket', 'partners/all+lists.txt')).toEqual(['partners']);
  });

  it.each([
    ['the signed list itself', 'lists-bucket', 'signed.json'],
    ['its default signature (key + .sig)', 'lists-bucket', 'signed.json.sig'],
    ['a signature at an s3:// signatureLocation', 'sig-bucket', 'l.json.sig'],
  ])('runs a signed allowlist when %s is created', (_, bucket, key) => {
    expect(allowlistsReadingObject(config, bucket, key)).toEqual(['signed']);
  });

  it('ignores an S3 object that no allowlist reads', () => {
    const parsed = parseInvokeEvent(s3Event('lists-bucket', 'other.txt'), config);
    expect(isIgnored(parsed)).toBe(true);
    expect(parsed).toEqual({ ignored: 'no allowlist reads s3://lists-bucket/other.txt; nothing to do' });
  });

  it.each([
    ['an unknown field of a manual payload', { dryrun: false }, /unknown field "dryrun"/],
    ['two unknown fields', { dryRun: true, apply: 1, x: 2 }, /unknown fields "apply", "x"/],
    ['an unknown field in force', { force: { reason: 'r', ttl: 5 } }, /^force: unknown field "ttl"/],
    ['a force without a reason', { force: { reason: '  ' } }, /force.reason: force needs a non-empty reason/],
    ['a dryRun that is a string', { dryRun: 'false' }, /^dryRun: .*boolean/],
    ['an unknown allowlist name', { allowlists: ['nope'] }, /allowlists\[0\]: no allowlist is named "nope"/],
    ['an extra field on the schedule payload', { trigger: 'schedule', dryRun: true }, /unknown field "dryRun"/],
    ['an unknown trigger', { trigger: 'cron' }, /trigger: expected "schedule" or "deploy", got "cron"/],
    ['an EventBridge event from another source', { source: 'aws.ec2', 'detail-type': 'x' }, /^source: expected/],
    [
      'an S3 event without a key',
      { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'b' }, object: {} } },
      /detail.object.key/,
    ],
    ['an array', [], /expected a JSON object, got an array/],
    ['null', null, /expected a JSON object, got null/],
  ])('refuses %s, naming the field', (_, event, pattern) => {
    const issues = issuesOf(event);
    expect(issues.some((i) => pattern.test(i))).toBe(true);
  });

  it('names the subject in the error message', () => {
    expect(() => parseInvokeEvent({ bogus: true }, config)).toThrow(/^invoke payload is invalid:\n/);
  });
});
