#!/usr/bin/env bash
# timed.sh NAME COMMAND... - runs one suite of make test and says how long it
# took, so that the 20-minute budget of make test can be kept suite by suite.
set -u
name=$1
shift
start=$(date +%s)
"$@"
status=$?
echo "== $name: $(($(date +%s) - start)) s$([ "$status" -eq 0 ] || echo ", FAILED")"
exit "$status"
