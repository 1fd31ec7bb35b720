#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs this
# executor may use as {"name":"gpu","addresses":[...]}, from nvidia-smi's device indices.
set -euo pipefail
indices=$( (nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null || true) | tr -d ' ' | paste -sd, -)
addresses=$(printf '%s' "$indices" | sed -e 's/\([0-9][0-9]*\)/"\1"/g')
printf '{"name":"gpu","addresses":[%s]}\n' "$addresses"
