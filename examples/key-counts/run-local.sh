#!/usr/bin/env sh
# Runs the example against the local stack: starts ZooKeeper, the emulators and Kafka with a
# two-shard stream 'orders', one worker with this project's jar in its extension directory and
# processor.type set to the example, produces 1,000 records, waits until all are counted, shows
# the checkpoints, and stops everything it started (the worker gracefully).
#
# STREAMFLEET: the streamfleet command with the development tools (default: deploy/streamfleet
# of this checkout, which builds it when needed). WORK_DIR: where the stack, the configuration
# and the counts go (default: a new temporary directory).
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
streamfleet="${STREAMFLEET:-$here/../../deploy/streamfleet}"
work="${WORK_DIR:-$(mktemp -d)}"
jar="$here/target/key-counts-1.0.jar"
if [ ! -f "$jar" ]; then
  echo "run-local.sh: $jar is missing; build it first: mvn -B -q -f $here/pom.xml package" >&2
  exit 2
fi
mkdir -p "$work/ext"
cp "$jar" "$work/ext/"

stack=""
worker=""
stop() {
  if [ -n "$worker" ]; then kill -TERM "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; fi
  if [ -n "$stack" ]; then kill -TERM "$stack" 2>/dev/null || true; wait "$stack" 2>/dev/null || true; fi
}
trap stop EXIT
trap 'exit 130' INT TERM

# Waits up to $1 seconds for the command after it to succeed.
within() {
  seconds="$1"; shift
  while ! "$@" >/dev/null 2>&1; do
    seconds=$((seconds - 1))
    if [ "$seconds" -le 0 ]; then return 1; fi
    sleep 1
  done
}

echo "starting the local stack in $work/stack ..."
"$streamfleet" local-stack --dir "$work/stack" --stream orders:2 --write-config "$work/fleet.yaml" \
  > "$work/local-stack.log" 2>&1 &
stack=$!
within 180 grep -q '^ready' "$work/local-stack.log" \
  || { echo "run-local.sh: the local stack did not start; see $work/local-stack.log" >&2; exit 1; }

echo "starting a worker with $work/ext/key-counts-1.0.jar ..."
STREAMFLEET_EXT_DIR="$work/ext" "$streamfleet" worker --config "$work/fleet.yaml" \
  --set processor.type=com.example.keycounts.KeyCounts --set "processor.options.path=$work/counts-{worker}.jsonl" \
  > "$work/worker.log" 2>&1 &
worker=$!

"$streamfleet" produce --config "$work/fleet.yaml" --count 1000 --rate 500

counted() {
  cat "$work"/counts-*.jsonl 2>/dev/null | awk -F'"records":' '{ split($2, n, ","); total += n[1] } END { print total + 0 }'
}
all_counted() {
  [ "$(counted)" -ge 1000 ]
}
within 120 all_counted \
  || { echo "run-local.sh: only $(counted) of 1000 records counted; see $work/worker.log" >&2; exit 1; }

echo "counted $(counted) records in $work/counts-*.jsonl; the checkpoints:"
"$streamfleet" checkpoints list --config "$work/fleet.yaml"
