#!/usr/bin/env bash
# The benchmark suite.
#
#   it-tests/benchmarks.sh all                        runs every benchmark and rewrites BENCHMARKS.md
#   it-tests/benchmarks.sh process|strategy|fleet|worker|parallel|balance|fanout   runs one and prints its section
#   it-tests/benchmarks.sh assemble                   rewrites BENCHMARKS.md from the last sections run
#
# 'all' takes about 73 minutes on a 2-core machine (the process benchmark, which runs KCL twice, about 30; fanout about 7.5). Run it on an otherwise idle machine: the
# figures are times and CPU on shared cores.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

main_of() {
  case "$1" in
    process) echo dev.streamfleet.bench.ProcessBenchmark ;;
    strategy) echo dev.streamfleet.bench.StrategyBenchmark ;;
    fleet) echo dev.streamfleet.bench.FleetBenchmark ;;
    worker) echo dev.streamfleet.bench.WorkerBenchmark ;;
    parallel) echo dev.streamfleet.bench.ParallelBenchmark ;;
    balance) echo dev.streamfleet.bench.BalanceBenchmark ;;
    fanout) echo dev.streamfleet.bench.FanOutBenchmark ;;
    *) return 1 ;;
  esac
}

what="${1:-}"
if [ "$what" != all ] && [ "$what" != assemble ] && ! main_of "$what" >/dev/null; then
  echo "usage: $0 all|process|strategy|fleet|worker|parallel|balance|fanout|assemble" >&2
  exit 2
fi

if [ "$what" != assemble ]; then
mvn -B -q install -DskipTests
# Worker processes run bin/streamfleet from the archive this build just produced.
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
mvn -B -q -pl it-tests dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
fi
mkdir -p it-tests/target/tmp it-tests/target/bench

run() {
  java -Xmx2g -Djava.io.tmpdir="$top/it-tests/target/tmp" \
    -Dstreamfleet.emulators.dir="$top/deploy/local-stack/emulators" \
    -Dstreamfleet.dist.target="$top/deploy/distribution/target" -Dstreamfleet.version="$version" \
    -Dstreamfleet.localstack.workdir="$top/it-tests/target/local-stack" \
    -Dstreamfleet.bench.out="$top/it-tests/target/bench/$1.md" \
    -Dstreamfleet.kcl.classpath="$top/kcl-bench/target/kcl.classpath" \
    -cp "$top/it-tests/target/test-classes:$(cat it-tests/target/test.classpath)" "$(main_of "$1")"
}

if [ "$what" != all ] && [ "$what" != assemble ]; then
  run "$what"
  exit 0
fi

if [ "$what" = all ]; then
  for benchmark in process strategy fleet worker parallel balance fanout; do
    echo "== $benchmark" >&2
    run "$benchmark"
  done
fi

version() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" pom.xml | head -1; }
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
memory="$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
java_version="$(java -version 2>&1 | head -1 | sed 's/"//g')"
{
  cat <<EOF
# Benchmarks

Written by \`it-tests/benchmarks.sh all\`, which runs every benchmark below and rewrites this
file; each section names the command that reproduces it alone. Speed targets live here, not
in timed unit tests.

Machine: $(nproc) CPUs ($cpu), $memory RAM, Linux $(uname -r), $java_version.
Versions: streamfleet $(version version | head -1), ZooKeeper $(version zookeeper.version), Curator $(version curator.version),
Kafka $(version kafka.version), AWS SDK $(version aws-sdk.version), KCL $(sed -n 's:.*<kcl.version>\(.*\)</kcl.version>.*:\1:p' kcl-bench/pom.xml | head -1) (benchmarks only).
Written: $(date -u +%Y-%m-%d); each section says the day it was run.

EOF
  for benchmark in process strategy fleet worker parallel balance fanout; do
    cat "it-tests/target/bench/$benchmark.md"
    echo
    echo "Run on $(date -u -r "it-tests/target/bench/$benchmark.md" +%Y-%m-%d)."
    echo
  done
} > BENCHMARKS.md
echo "BENCHMARKS.md rewritten" >&2
