#!/usr/bin/env bash
# Builds every libFuzzer target in Tests/Fuzz/Targets into .build-fuzz/fuzzers/.
#
# SwiftPM has no fuzzer products and Package.swift stays untouched, so this is two steps:
#  1. `swift build` compiles the library modules with `-sanitize=fuzzer,address` (coverage
#     instrumentation and ASan; compiling alone links nothing, so no libFuzzer `main` is pulled in)
#     and `-enable-testing`, into the scratch path .build-fuzz;
#  2. each target file is compiled with `@testable import` of those modules and linked with their
#     object files and libFuzzer (`-sanitize=fuzzer,address`).
# Usage: Tests/Fuzz/build.sh [target ...]   (default: every target)
set -euo pipefail
FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$FUZZ_DIR/../.." && pwd)"
SCRATCH="${ANCHORAGE_FUZZ_SCRATCH:-$ROOT/.build-fuzz}"
CONFIG="${ANCHORAGE_FUZZ_CONFIGURATION:-release}"
OUT="$SCRATCH/fuzzers"
mkdir -p "$OUT"

swift build --package-path "$ROOT" --scratch-path "$SCRATCH" -c "$CONFIG" --target AnchorageConfig \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing >&2
swift build --package-path "$ROOT" --scratch-path "$SCRATCH" -c "$CONFIG" --target AnchorageHTTP \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing >&2
swift build --package-path "$ROOT" --scratch-path "$SCRATCH" -c "$CONFIG" --target AnchorageRedis \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing >&2

BIN="$SCRATCH/$CONFIG"
OBJECTS=()
for module in CSystemShims CX509Keyless CTrustIndex AnchorageLocking AnchorageBasics AnchorageCrypto AnchorageCore AnchorageConfig AnchorageHTTP AnchorageRedis; do
    for object in "$BIN/$module.build/"*.o; do OBJECTS+=("$object"); done
done
OPT=(-Onone)
[ "$CONFIG" = release ] && OPT=(-O)

if [ "$#" -gt 0 ]; then TARGETS=("$@"); else
    TARGETS=()
    for file in "$FUZZ_DIR/Targets/"*.swift; do TARGETS+=("$(basename "$file" .swift)"); done
fi
for target in "${TARGETS[@]}"; do
    echo "fuzz build: $target" >&2
    # A target's fixtures (generated Swift, e.g. certificate_chain.vector.swift) are compiled with it.
    FIXTURES=()
    for fixture in "$FUZZ_DIR/Fixtures/$target".*.swift; do [ -f "$fixture" ] && FIXTURES+=("$fixture"); done
    swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library "${OPT[@]}" -g -module-name "Fuzz_$target" \
        -I "$BIN/Modules" -I "$ROOT/Sources/COpenSSL" -I "$ROOT/Sources/CSystemShims/include" \
        -I "$ROOT/Sources/CX509Keyless/include" -I "$ROOT/Sources/CTrustIndex/include" \
        "$FUZZ_DIR/Targets/$target.swift" "$FUZZ_DIR/Support/FuzzSupport.swift" "${FIXTURES[@]}" "${OBJECTS[@]}" \
        -lssl -lcrypto -o "$OUT/$target"
done
