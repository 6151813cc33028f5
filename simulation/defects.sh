#!/usr/bin/env bash
# Re-introduces defects that earlier fixes removed, one at a time, and reports whether the fleet
# simulation finds each and within how many seeds. Each patch in simulation/defects/ reverts one fix;
# it is applied in a scratch worktree of the current commit, never here.
#
#   simulation/defects.sh                 every patch, 2000 seeds each
#   simulation/defects.sh 03-… [seeds]    one patch
#
# Prints one line per patch: found at seed S (the K-th searched) and how many seeds broke a
# promise, or NOT FOUND. Exits 1 when a patch does not apply or is not found.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
seeds="${2:-${SEEDS:-2000}}"
if [ $# -ge 1 ]; then patches=("$top/simulation/defects/$1.patch"); else patches=("$top"/simulation/defects/*.patch); fi
status=0
for patch in "${patches[@]}"; do
  name="$(basename "$patch" .patch)"
  scratch="$(mktemp -d /tmp/streamfleet-defect-XXXXXX)"
  git -C "$top" worktree add -q --detach "$scratch" HEAD
  if ! git -C "$scratch" apply "$patch"; then
    echo "$name: the patch no longer applies"
    status=1
  else
    out="$(cd "$scratch" && mvn -B -o -q -pl simulation -am test -Dtest='FleetSimulationTest#noSeedBreaksAPromise' \
      -Dsurefire.failIfNoSpecifiedTests=false -Dstreamfleet.sim.seeds="$seeds" -Dmaven.javadoc.skip=true 2>&1 || true)"
    first="$(grep -o 'first failing seed: .*' <<<"$out" | head -1 || true)"
    summary="$(grep -o 'simulation: .*' <<<"$out" | head -1 || true)"
    if [ -n "$first" ]; then
      violation="$(grep -m1 '^\[PT' <<<"$out" | cut -c1-160 || true)"
      echo "$name: found; $first; ${summary#simulation: }"
      echo "    $violation"
    else
      echo "$name: NOT FOUND in $seeds seeds (${summary#simulation: })"
      status=1
    fi
  fi
  git -C "$top" worktree remove --force "$scratch"
done
exit $status
