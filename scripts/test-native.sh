#!/usr/bin/env bash
# Builds the C core and its unit tests standalone (no Node headers) under AddressSanitizer
# and UBSan, and runs them. Part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-san
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S . -B "$dir" "${gen[@]}" -DDSRLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$dir" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$dir" --output-on-failure
