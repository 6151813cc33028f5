#!/usr/bin/env bash
# Runs one benchmark and prints its figures. Usage: it-tests/benchmarks.sh strategy|fleet|worker
# Results belong in BENCHMARKS.md with the machine and the date.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"
case "${1:-}" in
  strategy) main=dev.streamfleet.bench.StrategyBenchmark ;;
  fleet) main=dev.streamfleet.bench.FleetBenchmark ;;
  worker) main=dev.streamfleet.bench.WorkerBenchmark ;;
  *) echo "usage: $0 strategy|fleet|worker" >&2; exit 2 ;;
esac
mvn -B -q install -DskipTests
mvn -B -q -pl it-tests dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
mkdir -p it-tests/target/tmp
exec java -Xmx2g -Djava.io.tmpdir="$top/it-tests/target/tmp" \
  -Dstreamfleet.emulators.dir="$top/deploy/local-stack/emulators" \
  -Dstreamfleet.localstack.workdir="$top/it-tests/target/local-stack" \
  -cp "$top/it-tests/target/test-classes:$(cat it-tests/target/test.classpath)" "$main"
