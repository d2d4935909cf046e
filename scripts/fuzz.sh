#!/usr/bin/env bash
# Builds the libFuzzer targets (native/fuzz/fuzz_*.c) with clang into build-fuzz and runs one of
# them for a while: `npm run fuzz -- TARGET SECONDS [--keep]`, e.g. `npm run fuzz -- pipeline 300`.
# TARGET is the file name with or without the fuzz_ prefix (capture, codec, pipeline).
#
#  1. Replays every input under native/fuzz/regressions/TARGET/: inputs that once crashed the
#     target, by a datapath bug since fixed or an invariant since found too strict (the file
#     name says which behaviour it pins); each must now pass.
#  2. Copies the committed seed corpus native/fuzz/corpus/TARGET/ into a scratch directory and
#     fuzzes there, with native/fuzz/fuzz_TARGET.dict when there is one. The committed corpus is
#     never written to, unless:
#     --keep  afterwards merges the scratch corpus into the committed one with -merge=1, which
#             adds only the inputs that reach new coverage (minimised). That is the way to grow
#             the seed corpus; review and commit what it adds.
#  3. Prints executions and coverage. On a crash (or leak, timeout, out-of-memory) it exits
#     non-zero and leaves the input in native/fuzz/crashes/ (gitignored); reproduce it with
#     build-fuzz/fuzz_TARGET native/fuzz/crashes/<file>, and once fixed, move it to
#     native/fuzz/regressions/TARGET/ so it is replayed from then on.
#
# Needs clang with libFuzzer (Debian/Ubuntu: the clang package) and cmake; ninja if present.
# FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS="-jobs=2 -workers=2"); FUZZ_NO_BUILD=1 skips
# the build (test/fuzz/smoke.test.ts builds once, then runs the targets side by side).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: npm run fuzz -- TARGET SECONDS [--keep]   (TARGET: $(ls native/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||' | tr '\n' ' '))" >&2
	exit 2
}

keep=0
args=()
for a in "$@"; do
	case "$a" in
	--keep) keep=1 ;;
	-h | --help) usage ;;
	*) args+=("$a") ;;
	esac
done
[ "${#args[@]}" -eq 2 ] || usage
name="${args[0]#fuzz_}"
secs="${args[1]}"
[[ "$secs" =~ ^[0-9]+$ ]] || usage
[ -f "native/fuzz/fuzz_$name.c" ] || { echo "fuzz: no target native/fuzz/fuzz_$name.c" >&2; usage; }

CC="${CC:-clang}"
CXX="${CXX:-clang++}"
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found; libFuzzer needs clang" >&2; exit 2; }

# ---- build ----
dir=build-fuzz
gen=()
if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
	out=$(cmake -S . -B "$dir" "${gen[@]}" -DDSRLAB_FUZZ=ON -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" 2>&1 &&
		cmake --build "$dir" --target "fuzz_$name" 2>&1) || {
		echo "$out" | tail -40 >&2
		echo "fuzz: building fuzz_$name failed" >&2
		exit 1
	}
fi
bin="$dir/fuzz_$name"
[ -x "$bin" ] || { echo "fuzz: $bin is not built" >&2; exit 2; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
crashes=native/fuzz/crashes
mkdir -p "$crashes"

# ---- 1. regressions ----
reg="native/fuzz/regressions/$name"
if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
	n=$(find "$reg" -type f | wc -l)
	if ! "$bin" -artifact_prefix="$crashes/$name-regression-" "$reg"/* >"$dir/fuzz_$name.regressions.log" 2>&1; then
		tail -40 "$dir/fuzz_$name.regressions.log" >&2
		echo "fuzz: $name: a regression input crashes again (log: $dir/fuzz_$name.regressions.log)" >&2
		exit 1
	fi
	echo "fuzz: $name: $n regression input(s) pass"
fi

# ---- 2. fuzz in a scratch corpus ----
scratch=$(mktemp -d "${TMPDIR:-/tmp}/dsrlab-fuzz-$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus"
seeds="native/fuzz/corpus/$name"
[ -d "$seeds" ] && cp -r "$seeds"/. "$scratch/corpus/"
opts=(-max_total_time="$secs" -print_final_stats=1 -timeout=10 -artifact_prefix="$crashes/$name-")
[ -f "native/fuzz/fuzz_$name.dict" ] && opts+=(-dict="native/fuzz/fuzz_$name.dict")
log="$dir/fuzz_$name.log"
echo "fuzz: $name for ${secs}s (seeds: $(ls "$scratch/corpus" | wc -l), log: $log)"
set +e
# shellcheck disable=SC2086
"$bin" "${opts[@]}" ${FUZZ_ARGS:-} "$scratch/corpus" >"$log" 2>&1
rc=$?
set -e

# ---- 3. report ----
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
last=$(grep -a -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.*corp: \([^ ]*\).*/\1/p' <<<"$last")
echo "fuzz: $name: ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
if [ "$rc" -ne 0 ]; then
	grep -a -E 'ERROR:|SUMMARY:|invariant broken|runtime error' "$log" | head -5 >&2 || true
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	echo "fuzz: $name: FAILED (exit $rc); input: ${art:-see $log}; full log: $log" >&2
	exit "$rc"
fi

if [ "$keep" -eq 1 ]; then
	mkdir -p "$seeds"
	before=$(ls "$seeds" | wc -l)
	"$bin" -merge=1 "$seeds" "$scratch/corpus" >"$dir/fuzz_$name.merge.log" 2>&1
	echo "fuzz: $name: --keep: $(($(ls "$seeds" | wc -l) - before)) new input(s) in $seeds"
fi
