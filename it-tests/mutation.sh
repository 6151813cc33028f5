#!/usr/bin/env bash
# Mutation testing of the pure core with pitest: which of the tests' verdicts a small change to
# the pure classes (assignment, fencing rules, positions, progress, start positions, pacing)
# would not change. Not part of the build or of CI; takes several minutes per module on 2 cores.
#
#   it-tests/mutation.sh            all modules
#   it-tests/mutation.sh coordinator one module (checkpoint, coordinator or worker)
#
# Prints each class's score (mutants killed / mutants) and each module's; the reports are in
# <module>/target/pit-reports (index.html, mutations.xml). docs/testing.md keeps the last scores.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

classes_of() {
  case "$1" in
    checkpoint) echo 'dev.streamfleet.core.Backoff,dev.streamfleet.core.Epoch,dev.streamfleet.core.FinishedBeyond*,dev.streamfleet.core.Position*,dev.streamfleet.core.UnitId,dev.streamfleet.checkpoint.CheckpointRules*,dev.streamfleet.checkpoint.Checkpoint' ;;
    coordinator) echo 'dev.streamfleet.coordinator.Assignment*,dev.streamfleet.coordinator.LeaderDecisions*,dev.streamfleet.coordinator.BalancePolicy*,dev.streamfleet.coordinator.Balancing*,dev.streamfleet.coordinator.ClusterView*,dev.streamfleet.coordinator.LoadMove*,dev.streamfleet.coordinator.LoadPlacement*,dev.streamfleet.coordinator.RebalanceReason*,dev.streamfleet.coordinator.RebalanceSchedule*,dev.streamfleet.coordinator.StickyBalancedStrategy*,dev.streamfleet.coordinator.UnitStart*,dev.streamfleet.coordinator.StartFacts*,dev.streamfleet.coordinator.UnitState*' ;;
    worker) echo 'dev.streamfleet.worker.internal.parallel.KeyLanes*,dev.streamfleet.worker.internal.parallel.ProgressTracker*,dev.streamfleet.worker.internal.kinesis.PollPacing*,dev.streamfleet.worker.internal.runtime.ProgressWatch*' ;;
    *) return 1 ;;
  esac
}

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
  modules=(checkpoint coordinator worker)
fi
for module in "${modules[@]}"; do
  if ! classes_of "$module" >/dev/null; then
    echo "usage: $0 [checkpoint|coordinator|worker ...]" >&2
    exit 2
  fi
done

mvn -B -q install -DskipTests -Dmaven.javadoc.skip=true >&2
for module in "${modules[@]}"; do
  echo "== $module" >&2
  mvn -B -q -pl "$module" org.pitest:pitest-maven:mutationCoverage \
    -DtargetClasses="$(classes_of "$module")" -DtargetTests='dev.streamfleet.*' -Dthreads=2 >&2
  report="$module/target/pit-reports/mutations.xml"
  # One <mutation> element per line: count the detected ones per mutated class (nested classes under their top class).
  awk -v module="$module" '
    /<mutation / {
      match($0, /<mutatedClass>[^<]*<\/mutatedClass>/)
      name = substr($0, RSTART + 14, RLENGTH - 29)
      sub(/\$.*/, "", name)
      total[name]++
      all++
      if ($0 ~ /detected=.true./) { killed[name]++; dead++ }
    }
    END {
      printf "| %s | %d %% (%d/%d) |\n", module, (all ? 100 * dead / all : 0), dead, all
      for (name in total) {
        printf "|   %s | %d/%d |\n", name, killed[name] + 0, total[name]
      }
    }' "$report" | { read -r first; echo "$first"; sort; }
done
