#!/usr/bin/env bash
# The shell steps of the GitOps workflow (docs/gitops.md), kept here so that a test runs them (test/examples/gitops.test.ts).
#
#   publish.sh check BASE LIST OUT.md   on a pull request: validate LIST as a sync would read it, then write the
#                                       address diff BASE -> LIST as a Markdown table to OUT.md (for a PR comment)
#   publish.sh publish LIST             on merge: validate LIST, stamp it (serial, generatedAt) and sign it, then upload
#                                       LIST and then LIST.sig to s3://$ALLOWLIST_BUCKET/$ALLOWLIST_KEY(.sig); the
#                                       signature goes last because the stack's S3 rule fires on it
#
# Environment:
#   ALLOWLIST_SYNC            how to run the CLI (default: npx --no-install allowlist-sync)
#   ALLOWLIST_FORMAT          the list's format (default: allowlist, the signed document format)
#   ALLOWLIST_BUCKET, ALLOWLIST_KEY          publish: where the source reads the list
#   ALLOWLIST_EXPECTED_OWNER                 publish, optional: the bucket owner's account id (refused otherwise)
#   ALLOWLIST_SIGNING_KEY_PEM or ALLOWLIST_SIGNING_KEY   publish: the Ed25519 private key (PEM text, or a file)
#   ALLOWLIST_SERIAL          publish, optional: the serial to stamp (default: the Unix time, so every later publish
#                             has a higher serial and an older signed list can never be replayed over a newer one)
# AWS credentials, Region and AWS_ENDPOINT_URL come from the standard AWS SDK environment.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a cli <<<"${ALLOWLIST_SYNC:-npx --no-install allowlist-sync}"
format=${ALLOWLIST_FORMAT:-allowlist}

usage() {
  echo "usage: publish.sh check BASE LIST OUT.md | publish.sh publish LIST" >&2
  exit 64
}

check() {
  local base=$1 list=$2 out=$3
  "${cli[@]}" validate --format "$format" "$list"
  # diff exits 0 (same addresses) or 2 (different); 1 is an error and fails the step.
  local status=0
  "${cli[@]}" diff --format "$format" --markdown "$base" "$list" >"$out" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
    echo "publish.sh: diff failed (exit $status)" >&2
    exit "$status"
  fi
  echo "publish.sh: wrote the diff of $base -> $list to $out"
}

publish() {
  local list=$1
  : "${ALLOWLIST_BUCKET:?set ALLOWLIST_BUCKET to the source bucket}"
  : "${ALLOWLIST_KEY:?set ALLOWLIST_KEY to the source key}"
  local key_file=${ALLOWLIST_SIGNING_KEY:-}
  # Global, not local: the EXIT trap runs after this function has returned.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if [ -n "${ALLOWLIST_SIGNING_KEY_PEM:-}" ]; then
    key_file=$tmp/private.pem
    (umask 077 && printf '%s\n' "$ALLOWLIST_SIGNING_KEY_PEM" >"$key_file")
  fi
  [ -n "$key_file" ] || { echo "publish.sh: set ALLOWLIST_SIGNING_KEY_PEM or ALLOWLIST_SIGNING_KEY" >&2; exit 64; }
  "${cli[@]}" validate --format "$format" "$list"
  # Signed in a copy: the committed file stays as reviewed; the published bytes are exactly the signed ones.
  cp "$list" "$tmp/list"
  "${cli[@]}" sign --key "$key_file" --stamp --serial "${ALLOWLIST_SERIAL:-$(date -u +%s)}" "$tmp/list" --out "$tmp/list.sig"
  node "$here/upload.cjs" "$tmp/list" "s3://$ALLOWLIST_BUCKET/$ALLOWLIST_KEY" application/json
  node "$here/upload.cjs" "$tmp/list.sig" "s3://$ALLOWLIST_BUCKET/$ALLOWLIST_KEY.sig" text/plain
}

case "${1:-}" in
  check) [ $# -eq 4 ] || usage; check "$2" "$3" "$4" ;;
  publish) [ $# -eq 2 ] || usage; publish "$2" ;;
  *) usage ;;
esac
