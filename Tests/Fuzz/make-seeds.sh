#!/usr/bin/env bash
# Regenerates the committed seed corpora (Tests/Fuzz/Corpus/<target>) from the targets themselves:
# each binary writes its seeds when ANCHORAGE_FUZZ_WRITE_SEEDS names a directory (see
# fuzzWriteSeedsIfAsked). canonical_request's seeds are the aws-sig-v4-test-suite request.txt files;
# sts_form also keeps three of them. Certificates are made in-process with fresh keys; no key is written.
# Usage: Tests/Fuzz/make-seeds.sh [vectors-dir]   (default Tests/Fixtures/vectors, the copy in the repository)
set -euo pipefail
FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$FUZZ_DIR/../.." && pwd)"
SCRATCH="${ANCHORAGE_FUZZ_SCRATCH:-$ROOT/.build-fuzz}"
VECTORS="${1:-$ROOT/Tests/Fixtures/vectors}"
"$FUZZ_DIR/build.sh"
export SWIFT_BACKTRACE=enable=no
for file in "$FUZZ_DIR/Targets/"*.swift; do
    target="$(basename "$file" .swift)"
    [ "$target" = canonical_request ] && continue
    mkdir -p "$FUZZ_DIR/Corpus/$target"
    ANCHORAGE_FUZZ_WRITE_SEEDS="$FUZZ_DIR/Corpus/$target" "$SCRATCH/fuzzers/$target"
done
mkdir -p "$FUZZ_DIR/Corpus/canonical_request"
for directory in "$VECTORS"/sigv4/v4/*/; do
    cp "$directory/request.txt" "$FUZZ_DIR/Corpus/canonical_request/$(basename "$directory").txt"
done
for name in post-x-www-form-urlencoded post-x-www-form-urlencoded-parameters post-sts-header-after; do
    cp "$VECTORS/sigv4/v4/$name/request.txt" "$FUZZ_DIR/Corpus/sts_form/$name.txt"
done
