#!/usr/bin/env bash
# setup.sh - Gradescope runs this once when it builds the autograder image.
# Installs the toolchain and builds the grader from the bundle's source.
set -euo pipefail
cd "$(dirname "$0")"
src=/autograder/source
[ -d "$src" ] || src=$(pwd)
apt-get update -q
make -C "$src" deps
make -C "$src" build/bin/grade
