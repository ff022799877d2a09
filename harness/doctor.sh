#!/bin/sh
# doctor.sh - checks that this machine can run every gate, and says what to fix.
# Exit status: 0 when everything needed works, 1 otherwise.
set -u
problems=0
ok()   { printf '  ok    %s\n' "$1"; }
bad()  { printf '  FIX   %s\n        %s\n' "$1" "$2"; problems=$((problems + 1)); }
note() { printf '  note  %s\n' "$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}

echo "threadclinic doctor"
if command -v "$cc" >/dev/null 2>&1; then ok "C compiler: $($cc --version | head -n 1)"
else bad "no C compiler ($cc)" "sudo apt-get install -y gcc"; fi

for h in criterion/criterion.h jansson.h libxml2/libxml/parser.h seccomp.h nettle/sha2.h; do
	if [ -e "/usr/include/$h" ]; then ok "header $h"
	else bad "missing header $h" "make deps   (or: sudo apt-get install -y libcriterion-dev libjansson-dev libxml2-dev libseccomp-dev nettle-dev)"; fi
done

cat > "$tmp/race.c" <<'C'
#include <pthread.h>
static int shared;
static void *bump(void *arg) { shared++; return arg; }
int main(void) { pthread_t t; pthread_create(&t, 0, bump, 0); shared++; pthread_join(t, 0); return 0; }
C
if "$cc" -g -fsanitize=thread -pthread "$tmp/race.c" -o "$tmp/race" 2>"$tmp/err"; then
	TSAN_OPTIONS=exitcode=66 "$tmp/race" >"$tmp/out" 2>&1
	status=$?
	if [ $status -eq 66 ]; then ok "ThreadSanitizer runs and reports a race"
	elif grep -q "unexpected memory mapping" "$tmp/out"; then
		bad "ThreadSanitizer cannot map its shadow memory" \
		    "sudo sysctl vm.mmap_rnd_bits=28   (now: $(sysctl -n vm.mmap_rnd_bits 2>/dev/null))"
	else bad "ThreadSanitizer did not report a known race (status $status)" "see: $(head -n 3 "$tmp/out")"; fi
else bad "cannot build with -fsanitize=thread" "sudo apt-get install -y libtsan2   ($(head -n 1 "$tmp/err"))"; fi

bits=$(sysctl -n vm.mmap_rnd_bits 2>/dev/null || echo "?")
if [ "$bits" != "?" ] && [ "$bits" -gt 28 ]; then
	note "vm.mmap_rnd_bits=$bits: older ThreadSanitizer runtimes need 28 or less"
else ok "vm.mmap_rnd_bits=$bits"; fi

if command -v clang >/dev/null 2>&1 && printf 'int main(void) { return 0; }\n' > "$tmp/ast.c" &&
	clang -fsyntax-only -Xclang -ast-dump "$tmp/ast.c" 2>/dev/null | grep -q FunctionDecl; then
	ok "clang reads syntax trees (the policy's address check: $(clang --version | head -1))"
else bad "clang is missing: the grader reads each learner file's syntax tree with it" "sudo apt-get install -y clang"; fi
if command -v valgrind >/dev/null 2>&1; then
	"$cc" -g -pthread "$tmp/race.c" -o "$tmp/plain" 2>/dev/null
	if valgrind --tool=helgrind --error-exitcode=9 -q "$tmp/plain" >/dev/null 2>&1; then
		bad "Helgrind missed a known race" "check the valgrind install: $(valgrind --version)"
	else ok "Helgrind runs and reports a race ($(valgrind --version))"; fi
else bad "valgrind is missing" "sudo apt-get install -y valgrind"; fi

"$cc" -g -fsanitize=leak "$tmp/race.c" -pthread -o "$tmp/lsan" 2>/dev/null && ok "LeakSanitizer builds" ||
	bad "cannot build with -fsanitize=leak" "sudo apt-get install -y liblsan0"

if command -v eu-stack >/dev/null 2>&1; then ok "eu-stack (thread stacks on a timeout)"
else bad "eu-stack is missing: hangs are reported without stacks" "sudo apt-get install -y elfutils"; fi
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
if [ "$scope" -ge 2 ]; then
	bad "kernel.yama.ptrace_scope=$scope blocks stack dumps" "sudo sysctl kernel.yama.ptrace_scope=1"
else ok "ptrace allowed for stack dumps (yama scope $scope)"; fi

# In a container (a Codespace, a devcontainer, docker run) three tools need
# options the default container does not give; .devcontainer/devcontainer.json
# sets them. Each check below tries the thing itself and names the option.
container=""
if [ -e /.dockerenv ] || [ -e /run/.containerenv ] || grep -qE 'docker|containerd|kubepods|lxc' /proc/1/cgroup 2>/dev/null; then
	container=yes
	note "running in a container: the options it needs are in .devcontainer/devcontainer.json (runArgs)"
fi
if command -v eu-stack >/dev/null 2>&1; then
	sleep 30 &
	sleeper=$!
	# A process caught between fork and exec can refuse an attach: try a few times.
	attached=""
	for try in 1 2 3 4 5; do
		sleep 0.2
		if eu-stack -p "$sleeper" >/dev/null 2>&1; then attached=yes; break; fi
	done
	if [ -n "$attached" ]; then ok "eu-stack can attach to another process (stacks of a hung test)"
	elif [ -n "$container" ]; then
		bad "eu-stack cannot attach (ptrace refused): a hang is reported without the threads' stacks" \
		    "start the container with --cap-add=SYS_PTRACE (devcontainer.json runArgs; a Codespace needs a rebuild)"
	else bad "eu-stack cannot attach (ptrace refused)" "sudo sysctl kernel.yama.ptrace_scope=1, or run the grader as root"; fi
	kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null
fi
# The grader runs ThreadSanitizer with address randomisation off
# (personality ADDR_NO_RANDOMIZE); Docker's default seccomp profile refuses it.
if command -v setarch >/dev/null 2>&1; then
	if setarch "$(uname -m)" -R true 2>/dev/null; then ok "address randomisation can be turned off per process (ThreadSanitizer's shadow memory)"
	else bad "personality(ADDR_NO_RANDOMIZE) is refused: ThreadSanitizer may fail with \"unexpected memory mapping\"" \
		 "start the container with --security-opt seccomp=unconfined (devcontainer.json runArgs), or: sudo sysctl vm.mmap_rnd_bits=28 on the host"; fi
fi
# The sandbox's network and mount namespaces: root needs CAP_SYS_ADMIN, anyone
# else user namespaces (refused by Docker's default seccomp profile).
if command -v unshare >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then ns_cmd="unshare -n -m true"; else ns_cmd="unshare -U -r -n -m true"; fi
	if $ns_cmd 2>/dev/null; then ok "namespaces for the grader's sandbox"
	else note "no namespaces for the grader's sandbox (it says which layers are missing; grading works, with less isolation): in a container, --security-opt seccomp=unconfined"; fi
fi
if [ -r /proc/sys/fs/inotify/max_user_watches ]; then ok "inotify (make watch)"
else bad "no inotify: make watch cannot see saves" "a Linux kernel with inotify (any desktop or Codespace has it)"; fi
command -v tmux >/dev/null 2>&1 && ok "tmux (the test of make watch)" || note "tmux missing: only the test of make watch needs it (make deps)"
command -v clangd >/dev/null 2>&1 && ok "clangd (editor: make compile-commands)" || note "clangd missing: optional, for an editor that knows the code (sudo apt-get install -y clangd)"

command -v gcovr >/dev/null 2>&1 && ok "gcovr (make coverage)" || note "gcovr missing: only make coverage needs it (sudo apt-get install -y gcovr)"

cores=$(nproc)
if [ "$cores" -lt 2 ]; then
	note "$cores core: the throughput gate stays fair (its workloads wait on simulated I/O), but grading is slower"
else ok "$cores cores"; fi

if [ $problems -eq 0 ]; then echo "doctor: everything needed works"; exit 0; fi
echo "doctor: $problems thing(s) to fix"
exit 1
