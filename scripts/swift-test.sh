#!/usr/bin/env bash
# Runs `swift test` with its output as usual, and on failure repeats at the end what failed
# (each failed test and the issues it recorded), so that the tail of a long log — what a CI
# page shows — names them. The whole output stays in .build/swift-test.log.
set -uo pipefail
cd "$(dirname "$0")/.."
log=.build/swift-test.log
mkdir -p .build
swift test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "=== swift test failed (exit $status); what failed, from $log ==="
  # An issue's comment (a fuzz test's seed, the failing input) is on the "↳" lines after it.
  awk '/✘|recorded an issue|error:|Fatal error|Expectation failed/ && !/✘ Test run with/ { print; comment = /recorded an issue/; next }
       comment && /^↳/ { print; next } { comment = 0 }' "$log" | head -80
fi
exit "$status"
