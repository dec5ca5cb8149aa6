#!/usr/bin/env bash
# Builds and runs every fuzz target for N seconds each (default 30); exits non-zero on any finding.
#
# Usage: Tests/Fuzz/run.sh [seconds-per-target] [target ...]
# Environment:
#   ANCHORAGE_FUZZ_JOBS=N      targets run N at a time (default 1)
#   ANCHORAGE_FUZZ_NO_BUILD=1  reuse the binaries in .build-fuzz/fuzzers
#   ANCHORAGE_FUZZ_SCRATCH     scratch path (default .build-fuzz)
# Each target starts from its committed seeds (Tests/Fuzz/Corpus/<target>) plus the corpus earlier
# runs grew in .build-fuzz/corpus/<target>; findings land in .build-fuzz/findings/<target>/ and
# its log in .build-fuzz/logs/<target>.log.
set -uo pipefail
FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$FUZZ_DIR/../.." && pwd)"
SCRATCH="${ANCHORAGE_FUZZ_SCRATCH:-$ROOT/.build-fuzz}"
export ANCHORAGE_FUZZ_SCRATCH="$SCRATCH"
SECONDS_PER_TARGET="${1:-30}"
shift || true
JOBS="${ANCHORAGE_FUZZ_JOBS:-1}"

if [ "$#" -gt 0 ]; then TARGETS=("$@"); else
    TARGETS=()
    for file in "$FUZZ_DIR/Targets/"*.swift; do TARGETS+=("$(basename "$file" .swift)"); done
fi

if [ -z "${ANCHORAGE_FUZZ_NO_BUILD:-}" ]; then
    "$FUZZ_DIR/build.sh" "${TARGETS[@]}" || { echo "fuzz: build failed" >&2; exit 2; }
fi

# Leak checking stays on: a leaked X509 or EVP_PKEY per request is a finding too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
# Swift's own crash backtracer would run under ASan after an abort and report its memory probes.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$FUZZ_DIR/lsan.supp:print_suppressions=0}"

run_one() {
    local target="$1"
    echo 1 >"$SCRATCH/logs/$target.status"
    local corpus="$SCRATCH/corpus/$target" findings="$SCRATCH/findings/$target" log="$SCRATCH/logs/$target.log"
    mkdir -p "$corpus" "$findings" "$(dirname "$log")"
    local extra=()
    [ -f "$FUZZ_DIR/Dictionaries/$target.dict" ] && extra+=("-dict=$FUZZ_DIR/Dictionaries/$target.dict")
    # Scratch files a target makes (json_config's configuration directory) go here and are removed after.
    local scratch_tmp="$SCRATCH/tmp/$target"
    mkdir -p "$scratch_tmp"
    TMPDIR="$scratch_tmp/" "$SCRATCH/fuzzers/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2560 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$findings/" "${extra[@]}" \
        "$corpus" "$FUZZ_DIR/Corpus/$target" >"$log" 2>&1
    local status=$?
    rm -rf "$scratch_tmp"
    local runs speed
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if [ "$status" -ne 0 ] || [ -n "$(ls -A "$findings")" ]; then
        echo "FAIL $target (exit $status) after ${runs:-?} runs; findings in $findings, log $log"
        grep -m5 -E 'FUZZ INVARIANT|ERROR: AddressSanitizer|ERROR: LeakSanitizer|Fatal error|deadly signal|SUMMARY' "$log" | sed 's/^/    /'
        return 1
    fi
    echo 0 >"$SCRATCH/logs/$target.status"
    echo "ok   $target: ${SECONDS_PER_TARGET}s, ${runs:-?} runs (${speed:-?}/s)"
}

mkdir -p "$SCRATCH/logs"
for target in "${TARGETS[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
    run_one "$target" &
done
wait
failed=0
for target in "${TARGETS[@]}"; do
    [ "$(cat "$SCRATCH/logs/$target.status" 2>/dev/null)" = 0 ] || failed=1
done
if [ "$failed" -ne 0 ]; then echo "fuzz: FINDINGS (see above)"; exit 1; fi
echo "fuzz: ${#TARGETS[@]} targets clean"
