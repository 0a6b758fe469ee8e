#!/usr/bin/env bash
# Times LeNet training with each nd4j-native 1.0.0-M2.1 CPU build (the pom property
# nd4j.native.variant) and prints a Markdown table. Each variant is a separate ~90 MB download
# from Maven Central the first time. Rounds alternate the variants so that load from other
# processes spreads over all of them; the table shows the median of the rounds.
#
#   src/examples/scripts/variants.sh                   # all six, 2 rounds, 6,000 examples per run
#   ROUNDS=3 LIMIT=10000 VARIANTS="-avx512 -onednn-avx512" src/examples/scripts/variants.sh
#
# Environment: VARIANTS (space-separated suffixes; "-" stands for the portable build ""),
# ROUNDS, LIMIT (training examples per run), THREADS (native threads), MODEL (lenet or mlp).
set -euo pipefail
cd "$(dirname "$0")/../../.."
VARIANTS=${VARIANTS:-"- -avx2 -avx512 -onednn -onednn-avx2 -onednn-avx512"}
ROUNDS=${ROUNDS:-2}
LIMIT=${LIMIT:-6000}
THREADS=${THREADS:-1}
MODEL=${MODEL:-lenet}
OUT=target/variants
mkdir -p "$OUT"
rm -f "$OUT"/*.json
mvn -q -B test-compile >&2
for round in $(seq "$ROUNDS"); do
  for v in $VARIANTS; do
    [ "$v" = "-" ] && v=""
    name="linux-x86_64${v}"
    echo "round $round: $name" >&2
    mvn -q -B -Dnd4j.native.variant="$v" exec:java -Dexec.args="train --model $MODEL --epochs 1 \
      --train-limit $LIMIT --test-limit 1000 --threads $THREADS --progress none \
      --output $OUT/$MODEL.zip --metrics-out $OUT/$name-$round.json" > "$OUT/$name-$round.log" 2>&1 \
      || { echo "  failed, see $OUT/$name-$round.log" >&2; continue; }
    grep RESULT "$OUT/$name-$round.log" | sed 's/^/  /' >&2
  done
done
/usr/bin/env python3 - "$OUT" "$MODEL" "$LIMIT" <<'PY'
import glob, json, os, statistics, sys
out, model, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {}
for f in sorted(glob.glob(os.path.join(out, "*.json"))):
    m = json.load(open(f))
    name = os.path.basename(f).rsplit("-", 1)[0]
    runs.setdefault(name, []).append((m["examples_per_second"], m["environment"]))
base = None
print(f"| nd4j.native.variant | binary level | {model} examples/s (median) | runs | 60,000-example epoch (s) |")
print("| --- | --- | ---: | --- | ---: |")
for name in sorted(runs, key=lambda n: (len(n), n)):
    speeds = [s for s, _ in runs[name]]
    med = statistics.median(speeds)
    env = runs[name][0][1]
    suffix = name[len("linux-x86_64"):] or "(empty, portable)"
    print(f"| `{suffix}` | {env['binary_level']} | {med:,.0f} | {', '.join(f'{s:,.0f}' for s in speeds)} | {60000 / med:.0f} |")
PY
