#!/bin/bash
# perturb_catch.sh - how often each gate that runs scenarios (correctness,
# tsan, helgrind) fails a submission, with the perturbation layer
# (harness/lib/perturb.h) off and on
#
# Usage: tests/perturb_catch.sh GRADER OUT RUNS CASE...
#	CASE	a zoo variant (tests/zoo/NN-slug/name.c) or a reference
#		(solutions/NN-slug)
#	RUNS	runs per declared gate with the perturbation off, and as many
#		with it on (seeds 1..RUNS, so that any run can be replayed);
#		a gate lost in all of the first 5 runs both ways stops there
#		(deterministic); a gate the case is not declared to lose gets 3
#		perturbed runs only (a false positive would show there); a
#		reference gets RUNS perturbed runs and 5 unperturbed ones
# Each case is built once by the grader (--seed off, into a temporary
# tree), then the gates' binaries are run directly RUNS times each way, with
# the environment, options and verdict rules the grader's gates use
# (harness/src/gates.c): correctness fails unless every scenario's .end
# marker says "pass"; tsan fails on a ThreadSanitizer report, a timed-out,
# crashed or early-ended scenario, or an exit status other than 0 or 66;
# helgrind likewise on an <error> in its XML or an exit status other than 0.
# Appends one line per case and gate to OUT:
#	case<TAB>gate<TAB>declared<TAB>lost-off/runs<TAB>lost-on/runs
# declared: "loses" or "may-lose" from the variant's header, "ref" for a
# reference, "-" for a gate the case is not declared to lose.
set -u
grader=$(realpath "$1")
out=$2
runs=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/perturb-catch-XXXXXX)
trap 'rm -rf "$work"' EXIT

# abnormal MARKERS N: true when a scenario timed out, crashed or ended early.
abnormal() {
	local i
	for ((i = 0; i < $2; i++)); do
		[ -e "$1/$i.timeout" ] || [ -e "$1/$i.crash" ] && return 0
		[ -e "$1/$i.begin" ] && [ ! -e "$1/$i.end" ] && return 0
	done
	return 1
}

# run_gate GATE DIR N TOTAL SEED: status 0 when the gate is lost.
run_gate() {
	local gate=$1 dir=$2 n=$3 total=$4 seed=$5 m="$work/m" i rc
	local -a env=(env -i PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C "TC_MARKERS=$m"
		      "TC_SEED=$seed")
	rm -rf "$m" "$work/log"
	mkdir -p "$m" "$work/log"
	case $gate in
	correctness)
		"${env[@]}" TC_TIMEOUT_FACTOR=1 timeout $((total + 30)) \
			"$dir/suite" --jobs=1 --ascii >/dev/null 2>&1
		for ((i = 0; i < n; i++)); do
			[ "$(head -c 4 "$m/$i.end" 2>/dev/null)" = pass ] || return 0
		done
		return 1 ;;
	tsan)
		"${env[@]}" TC_TIMEOUT_FACTOR=2 "TSAN_OPTIONS=halt_on_error=0 exitcode=66 \
atexit_sleep_ms=0 second_deadlock_stack=1 log_path=$work/log/report \
suppressions=$root/harness/supp/tsan.supp" timeout $((total * 2 + 30)) \
			"$dir/tsan_driver" >/dev/null 2>&1
		rc=$?
		cat "$work"/log/report* 2>/dev/null | grep -q "WARNING: ThreadSanitizer: " && return 0
		abnormal "$m" "$n" && return 0
		[ $rc = 0 ] || [ $rc = 66 ] && return 1
		return 0 ;;
	helgrind)
		"${env[@]}" TC_TIMEOUT_FACTOR=3 TC_NO_STACKS=1 timeout $((total * 3 + 60)) \
			valgrind --tool=helgrind --xml=yes "--xml-file=$work/log/h.xml" \
			"--suppressions=$root/harness/supp/helgrind.supp" \
			--child-silent-after-fork=yes "$dir/helgrind_driver" >/dev/null 2>&1
		rc=$?
		[ -s "$work/log/h.xml" ] || return 0
		grep -q "<error>" "$work/log/h.xml" && return 0
		abnormal "$m" "$n" && return 0
		[ $rc = 0 ] && return 1
		return 0 ;;
	esac
}

for case in "$@"; do
	case $case in
	solutions/*) chapter=$(basename "$case"); name="ref/$chapter"
		     src=("$root/$case"/*.c) ;;
	*) chapter=$(basename "$(dirname "$case")"); name="zoo/$chapter/$(basename "$case" .c)"
	   src=("$root/$case") ;;
	esac
	module=$(basename "$(ls "$root/chapters/$chapter"/*.c | head -1)")
	sub="$work/sub/${name//\//_}"
	mkdir -p "$sub/$chapter"
	if [ "${case#solutions/}" != "$case" ]; then
		cp "${src[@]}" "$sub/$chapter/"
	else
		cp "${src[0]}" "$sub/$chapter/$module"
	fi
	build="$work/build/${name//\//_}"
	"$grader" --root "$root" --build "$build" -C "$chapter" -s "$sub" --seed off \
		>/dev/null 2>&1
	dir="$build/$chapter"
	if [ ! -x "$dir/suite" ] || [ ! -x "$dir/tsan_driver" ]; then
		printf '%s\tbuild\t-\tnot built\n' "$name" >>"$out"
		continue
	fi
	list=$("$dir/helgrind_driver" --list | grep -v '^#')
	n=$(printf '%s\n' "$list" | wc -l)
	total=$(printf '%s\n' "$list" | awk -F'\t' '{ s += $3 } END { printf "%d", s + 1 }')
	loses="" may=""
	if [ "${name#zoo/}" != "$name" ]; then
		loses=$(grep -m1 'loses:' "${src[0]}" | sed 's/.*loses://')
		may=$(grep -m1 'may-lose:' "${src[0]}" | sed 's/.*may-lose://')
	fi
	for gate in correctness tsan helgrind; do
		declared=-
		[ "${name#ref/}" != "$name" ] && declared=ref
		[[ " $may " == *" $gate "* ]] && declared=may-lose
		[[ " $loses " == *" $gate "* ]] && declared=loses
		off=0 on=0 done_runs=0 offruns=0
		if [ "$declared" = - ]; then
			# Not expected to fail: a few perturbed runs, for false positives.
			for ((r = 1; r <= 3; r++)); do
				run_gate $gate "$dir" "$n" "$total" "$r" && on=$((on + 1))
			done
			printf '%s\t%s\t-\t-\t%d/3\n' "$name" $gate $on >>"$out"
			continue
		fi
		for ((r = 1; r <= runs; r++)); do
			# A reference: the baseline off 5 times, perturbed every run.
			if [ "$declared" != ref ] || [ $r -le 5 ]; then
				run_gate $gate "$dir" "$n" "$total" "" && off=$((off + 1))
				offruns=$r
			fi
			run_gate $gate "$dir" "$n" "$total" "$r" && on=$((on + 1))
			done_runs=$r
			# Lost every time both ways after 5: deterministic, stop there.
			[ $r = 5 ] && [ $off = 5 ] && [ $on = 5 ] && break
		done
		printf '%s\t%s\t%s\t%d/%d\t%d/%d\n' "$name" "$gate" "$declared" \
			"$off" "$offruns" "$on" "$done_runs" >>"$out"
	done
done
