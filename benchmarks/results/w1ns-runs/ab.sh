#!/bin/bash
# alternate main (w1ns-base) and the branch snapshot (w1ns-snap): ROUNDS rounds of the runner
ROUNDS=${ROUNDS:-2}; REPS=${REPS:-3}; WL=${WL:-W1,NS}; TAG=${TAG:-ab}
IMPLS=${IMPLS:-C floor,pynetlink,pynetlink codec}
for r in $(seq 1 $ROUNDS); do
  for w in w1ns-base w1ns-snap; do
    cd /work/wt/$w && .venv/bin/python -m benchmarks.run --workloads $WL --reps $REPS --impls "$IMPLS" \
        --out /tmp/w1ns/res --name $TAG-$w-$r > /tmp/w1ns/res/$TAG-$w-$r.log 2>&1
    echo "$w round $r rc=$?"
  done
done
