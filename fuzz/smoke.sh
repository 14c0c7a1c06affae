#!/bin/sh
# CI smoke run (called by `make check-all`): every fuzz target for a few
# seconds on its seed corpus; fails on any crash, leak or sanitizer report.
# Usage: fuzz/smoke.sh [SECONDS]   (default 3)
cd "$(dirname "$0")/.." || exit 1
exec sh fuzz/run.sh "${1:-3}"
