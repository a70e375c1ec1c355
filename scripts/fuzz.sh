#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ (release, -sanitize=fuzzer,address, scratch path .build-fuzz)
# and runs each for SECONDS (default 30), starting from the committed seeds in Fuzz/Seeds plus the
# corpus earlier runs grew in .build-fuzz/corpus. Prints per target the executions, coverage (edges
# and features, as libFuzzer counts them) and findings as a Markdown table; exits 1 if any target
# crashed, timed out, leaked or ran out of memory, keeping the input in .build-fuzz/findings/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: FuzzSTUN FuzzSDP FuzzICECandidate FuzzDCEP FuzzSCTP FuzzIPC
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

seconds="${1:-30}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [seconds-per-target] [target...]" >&2; exit 2; }
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzSTUN FuzzSDP FuzzICECandidate FuzzDCEP FuzzSCTP FuzzIPC)

ensure_swift

scratch=.build-fuzz
say "building the fuzz harnesses (release, -sanitize=fuzzer,address, in $scratch; the first build compiles swift-crypto, ~6 min)"
build_start=$SECONDS
swift build --package-path Fuzz --scratch-path "$scratch" -c release -Xswiftc -sanitize=fuzzer,address
say "built in $(( SECONDS - build_start )) s"
bin="$(swift build --package-path Fuzz --scratch-path "$scratch" -c release --show-bin-path)"

# A line of libFuzzer's -print_final_stats from LOG.
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

rows=()
failed=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target" findings="$scratch/findings/$target" log="$scratch/logs/$target.log"
    mkdir -p "$corpus" "$findings" "$(dirname "$log")"
    options=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix="$findings/")
    [ -f "Fuzz/Dictionaries/$target.dict" ] && options+=(-dict="Fuzz/Dictionaries/$target.dict")
    say "fuzzing $target for $seconds s (log: $log)"
    status=0 run_start=$SECONDS
    # New inputs go to the first directory only; the seeds stay as committed. Swift's own crash
    # backtracer would race libFuzzer's (and trip ASan), so libFuzzer alone reports crashes.
    SWIFT_BACKTRACE=enable=no "$bin/$target" "${options[@]}" "$corpus" "Fuzz/Seeds/$target" >"$log" 2>&1 || status=$?
    elapsed=$(( SECONDS - run_start ))

    # A run that stopped on a finding prints no final stats; its last status line has the counts.
    last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
    executions="$(final_stat "$log" number_of_executed_units)" rate="$(final_stat "$log" average_exec_per_sec)"
    [ -n "$executions" ] || executions="$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")"
    [ -n "$rate" ] || rate="$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$last")"
    coverage="$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 | \2/p' <<<"$last")"
    artifacts="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")"
    count=$(grep -c . <<<"$artifacts" || true)
    if [ "$status" -ne 0 ]; then
        failed=1
        echo "$target FAILED (exit $status):" >&2
        grep -E "Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|^SUMMARY" "$log" | head -5 >&2 || true
        for artifact in $artifacts; do echo "  input kept: $artifact (reproduce: SWIFT_BACKTRACE=enable=no $bin/$target $artifact)" >&2; done
        [ "$count" -gt 0 ] || count="error, see $log"
    fi
    rows+=("| $target | $elapsed | ${executions:-?} | ${rate:-?} | ${coverage:-? | ?} | $(find "$corpus" -type f | wc -l) | $count |")
done

echo
echo "| target | seconds | executions | executions/s | edges | features | corpus files | findings |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
exit "$failed"
