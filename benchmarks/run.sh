#!/usr/bin/env bash
# Runs a spark-dl benchmark in one command, building what it needs first.
#   benchmarks/run.sh [fashion-mnist] [--epochs 3 --threads 1,2 ...]   end-to-end training (default)
#   benchmarks/run.sh arrow [rows] [width] [transform]                Arrow data path (transform: only model.transform vs a per-row UDF)
#   benchmarks/run.sh allreduce [--sizes 1M,4M,16M --ranks 2 ...]     ring allreduce vs treeAggregate and loopback bounds
#   benchmarks/run.sh ps [--sizes 1M,16M --ranks 2,4 --epochs 6 --train-limit 0 --target 0.85 ...]
#                                                                     parameter server: push/pull, codecs, time to accuracy
#   benchmarks/run.sh backends [--threads 1,2 --rounds 3 ...]          nd4j-native builds (generic, avx2, avx512, onednn)
#   benchmarks/run.sh models [--models cnn,lstm --cnn-epochs 8 ...]   LeNet and row-by-row LSTM, 2 workers, full data
#   benchmarks/run.sh scaling [--allreduce-csv FILE ...]               allreduce cost model fitted, projected to 1024 workers
# JVM options: BENCH_JAVA_OPTS (default -Xmx6g).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

what="${1:-fashion-mnist}"
[ $# -gt 0 ] && shift
case "$what" in
  fashion-mnist) main=dev.sparkdl.bench.e2e.FashionMnistBenchmark ;;
  arrow)         main=dev.sparkdl.bench.arrow.ArrowPathBenchmark ;;
  allreduce)     main=dev.sparkdl.bench.collective.AllreduceBenchmark ;;
  ps)            main=dev.sparkdl.bench.ps.ParameterServerBenchmark ;;
  models)        main=dev.sparkdl.bench.e2e.ModelsBenchmark ;;
  backends)      main=dev.sparkdl.bench.e2e.BackendBenchmark ;;
  scaling)       main=dev.sparkdl.bench.scaling.ScalingProjection ;;
  *) echo "usage: benchmarks/run.sh [fashion-mnist|arrow|allreduce|ps|models|backends|scaling] [options]" >&2; exit 2 ;;
esac

if [ ! -f benchmarks/target/classpath.txt ] || [ -n "$(find benchmarks/src/main spark-dl/src/main \
      parameter-server/src/main arrow-io/src/main pom.xml */pom.xml -newer benchmarks/target/classpath.txt -print -quit 2>/dev/null)" ]; then
  echo "Building the benchmarks (mvn package, tests skipped)..." >&2
  mvn -B -q -DskipTests package -pl benchmarks -am
fi
if [ "$what" = backends ] && [ ! -d benchmarks/target/backends ]; then
  echo "Fetching the other nd4j-native builds (mvn -Pbackends, about 450 MB)..." >&2
  mvn -B -q -DskipTests -Pbackends package -pl benchmarks -am
fi

# Run from a private copy of this tree's jars and classes: other builds in the same tree rewrite
# */target while a long benchmark runs, and a jar replaced under a running JVM breaks class loading.
stage="$(mktemp -d "${TMPDIR:-/tmp}/sparkdl-bench-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp -r benchmarks/target/classes "$stage/classes"
classpath="$stage/classes"
IFS=':' read -r -a entries < benchmarks/target/classpath.txt || true  # no newline at its end
for entry in "${entries[@]}"; do
  case "$entry" in
    "$ROOT"/*) cp "$entry" "$stage/"; classpath="$classpath:$stage/$(basename "$entry")" ;;
    *) classpath="$classpath:$entry" ;;
  esac
done

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
java @conf/java17.options ${BENCH_JAVA_OPTS:--Xmx6g} -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$classpath" "$main" "$@"
