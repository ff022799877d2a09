# common.sh - helpers of the learner-loop tests (sourced by tests/learn_*.sh).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
failures=0
pass() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; failures=$((failures + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

# A private copy of the workbook as a learner's clone: the files git knows, the
# grader already built (timestamps kept, so make does not rebuild), and a git
# history of one commit, like a Classroom repository. Under build/, not /tmp:
# the grader gives learner code a private /tmp, which would hide a copy there.
new_copy() {
	local dest
	mkdir -p "$ROOT/build/learn-tests"
	dest=$(mktemp -d "$ROOT/build/learn-tests/copy.XXXXXX")
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
		tar -C "$dest" -xf -
	mkdir -p "$dest/build"
	cp -a "$ROOT/build/bin" "$ROOT/build/obj" "$dest/build/"
	(cd "$dest" && git init -q && git add -A &&
		git -c user.name=template -c user.email=t@example.org commit -qm template)
	echo "$dest"
}

# Processes that belong to a copy: their command line or working directory is in it.
strays() {
	local dir=$1 p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$dir" ||
		   readlink "$p/cwd" 2>/dev/null | grep -qF "$dir"; then
			echo "${p#/proc/}: $(tr '\0' ' ' 2>/dev/null <"$p/cmdline" | cut -c1-120)"
		fi
	done
}
