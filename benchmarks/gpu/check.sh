#!/usr/bin/env bash
# GPU device check (issue #8): builds the CUDA variant (-Pcuda), prints nvidia-smi, trains the LeNet CNN on
# Fashion-MNIST in Spark local mode with one GPU assigned through Spark's resource scheduling, then the same
# fit on the CPU build, and prints both samples/s side by side.
#   benchmarks/gpu/check.sh [epochs]        (default 1; needs nvidia-smi, Maven access, Fashion-MNIST)
# SPARKDL_FASHION_MNIST_DIR points at the four IDX .gz files when they are not in /usr/share/datasets.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
EPOCHS="${1:-1}"
DATA_DIR="${SPARKDL_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/spark-dl-gpu-check-XXXXXX")"
trap 'rm -rf "$OUT"' EXIT

command -v nvidia-smi >/dev/null || { echo "nvidia-smi not found: this check needs a machine with an NVIDIA GPU" >&2; exit 1; }
[ -f "$DATA_DIR/train-images-idx3-ubyte.gz" ] || { echo "Fashion-MNIST not in $DATA_DIR (set SPARKDL_FASHION_MNIST_DIR)" >&2; exit 1; }
echo "== nvidia-smi"; nvidia-smi

# Builds one backend variant and keeps a private copy of its class path (the next build rewrites target/).
build() {
  local variant="$1" profile="$2"
  echo "== building the $variant variant (mvn $profile)"
  mvn -B -q -DskipTests $profile package -pl spark-dl -am
  mkdir -p "$OUT/$variant"
  cp -r spark-dl/target/classes "$OUT/$variant/classes"
  echo "$OUT/$variant/classes:$(cat spark-dl/target/classpath.txt)" > "$OUT/$variant/cp"
}

# Runs the demo's CNN fit and prints its lines; extra JVM flags go first.
fit() {
  local variant="$1" master="$2" workers="$3"; shift 3
  timeout 1800 java @conf/java17.options -Xmx16g "$@" \
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -Dsparkdl.fashionMnist.dir="$DATA_DIR" \
    -cp "$(cat "$OUT/$variant/cp")" dev.sparkdl.demo.FashionMnistDemo \
    --model cnn --epochs "$EPOCHS" --workers "$workers" --master "$master" --model-dir "$OUT/model-$variant" \
    | tee "$OUT/$variant.log"
}

build cuda -Pcuda
build cpu ""

echo "== CNN on the GPU: local[1], one rank, spark.task.resource.gpu.amount=1"
fit cuda 'local[1]' 1 \
  -Dspark.driver.resource.gpu.amount=1 \
  -Dspark.driver.resource.gpu.discoveryScript="$ROOT/conf/discover-gpus.sh" \
  -Dspark.task.resource.gpu.amount=1
CPU_CORES="$(nproc)"
echo "== CNN on the CPU: local[2], two ranks sharing $CPU_CORES cores"
fit cpu 'local[2]' 2

rate() { grep -E '^epoch [0-9]+/' "$OUT/$1.log" | tail -1 | sed -E 's/.* ([0-9,]+) samples\/s.*/\1/'; }
acc() { grep -E 'test accuracy' "$OUT/$1.log" | sed -E 's/.*test accuracy ([0-9.]+).*/\1/'; }
echo
echo "== result (last epoch's training samples/s, test accuracy after $EPOCHS epoch(s))"
printf '%-28s %14s %10s\n' configuration samples/s accuracy
printf '%-28s %14s %10s\n' "GPU (CUDA build), 1 rank" "$(rate cuda)" "$(acc cuda)"
printf '%-28s %14s %10s\n' "CPU, 2 ranks" "$(rate cpu)" "$(acc cpu)"
