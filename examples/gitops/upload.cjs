#!/usr/bin/env node
/**
 * `node upload.cjs FILE s3://BUCKET/KEY CONTENT-TYPE`: one S3 PutObject with the AWS SDK (a dependency of
 * allowlist-sync, so a CI job that installed the CLI has it; no AWS CLI needed). Credentials, Region and
 * AWS_ENDPOINT_URL come from the SDK's environment; ALLOWLIST_EXPECTED_OWNER, when set, makes S3 refuse a bucket
 * owned by another account. Prints the object's version id and ETag.
 */
const { readFileSync } = require('node:fs');
const { PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');

async function main() {
  const [file, url, contentType] = process.argv.slice(2);
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url ?? '');
  if (!file || !match || !contentType) throw new Error('usage: upload.cjs FILE s3://BUCKET/KEY CONTENT-TYPE');
  const [, bucket, key] = match;
  // Local S3 emulators answer path-style requests only; AWS itself takes either.
  const client = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
  const owner = process.env.ALLOWLIST_EXPECTED_OWNER;
  const out = await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: readFileSync(file),
      ContentType: contentType,
      ...(owner ? { ExpectedBucketOwner: owner } : {}),
    }),
  );
  process.stdout.write(`uploaded ${url} (version ${out.VersionId ?? 'none'}, ETag ${out.ETag})\n`);
}

main().catch((error) => {
  process.stderr.write(`upload.cjs: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
