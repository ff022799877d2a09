#!/bin/bash
# bench_loop.sh - make bench-loop: the learner's loop, timed (a benchmark, not
# a test: it asserts nothing, it reports). Median of RUNS (default 5):
#  (a) make watch: from a save to the first gate line on the screen, and to
#      the chapter's total, for a chapter whose tests pass (CH, default 01,
#      with its reference in place);
#  (b) the whole book: make grade SUBMISSION=solutions, wall time.
# Results go to stdout and to build/bench-loop.txt.
. "$(dirname "$0")/learn/common.sh"
runs=${RUNS:-5}
ch=$(cd "$ROOT/chapters" && ls -d "${CH:-01}"* | head -n 1)
copy=$(new_copy)
out="$copy/build/watch.out"
pid=""
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$copy"; }
trap cleanup EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
# Waits until the watch output has $2 lines matching $1 (up to 300 s).
wait_count() {
	for ((i = 0; i < 3000; i++)); do
		[ "$(grep -c -- "$1" "$out" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

file=$(ls "$copy/chapters/$ch"/*.c)
cp "$ROOT/solutions/$ch/$(basename "$file")" "$file"
cd "$copy" || exit 1
THREADCLINIC_WATCH_STAMPS=1 build/bin/learn watch "$ch" --stay >"$out" 2>&1 &
pid=$!
wait_count 'watching ' 1 || { echo "bench-loop: watch did not grade"; exit 1; }
first=() total=()
for ((r = 1; r <= runs; r++)); do
	sleep 1
	t0=$(now)
	cat "$ROOT/solutions/$ch/$(basename "$file")" >"$file"	# the save
	wait_count 'watching ' $((r + 1)) || { echo "bench-loop: no verdict after save $r"; exit 1; }
	# The lines of this grading: after the r-th "watching" line.
	lines=$(awk -v n="$r" '/watching /{ c++; next } c == n' "$out")
	f=$(echo "$lines" | grep -m1 -E '^\[[0-9.]+\]   (correctness|tsan|helgrind|leaks|throughput) ' | sed 's/^\[\([0-9.]*\)\].*/\1/')
	t=$(echo "$lines" | grep -m1 -E '^\[[0-9.]+\]   total ' | sed 's/^\[\([0-9.]*\)\].*/\1/')
	first+=("$(echo "$f - $t0" | bc -l)")
	total+=("$(echo "$t - $t0" | bc -l)")
	printf '  save %d: first gate line %.2f s, chapter total %.2f s\n' "$r" "${first[-1]}" "${total[-1]}"
done
kill -INT "$pid"; wait "$pid" 2>/dev/null; pid=""
cd "$ROOT" || exit 1
book=()
for ((r = 1; r <= runs; r++)); do
	t0=$(now)
	make --no-print-directory -s grade SUBMISSION=solutions >"$copy.book.out" 2>&1
	book+=("$(echo "$(now) - $t0" | bc -l)")
	printf '  whole book %d: %.1f s (%s)\n' "$r" "${book[-1]}" "$(grep -E '^TOTAL' "$copy.book.out" | tr -s ' ')"
done
rm -f "$copy.book.out"
{
	echo "bench-loop $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'watch %s, save to first gate line: median %.2f s of %d\n' "$ch" "$(printf '%s\n' "${first[@]}" | median)" "$runs"
	printf 'watch %s, save to chapter total:   median %.2f s of %d\n' "$ch" "$(printf '%s\n' "${total[@]}" | median)" "$runs"
	printf 'make grade SUBMISSION=solutions:    median %.1f s of %d\n' "$(printf '%s\n' "${book[@]}" | median)" "$runs"
} | tee "$ROOT/build/bench-loop.txt"
