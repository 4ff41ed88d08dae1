#!/usr/bin/env bash
# Run the whole test suite ROUNDS times (default 5) while LOAD busy loops (default 2) keep the
# CPUs busy, to shake out timing-dependent tests. Every round runs even after a failure; the
# script fails if any round failed. The busy loops are stopped on any exit (failure, Ctrl-C).
#
#   make stress                      # or: scripts/stress.sh
#   ROUNDS=1 LOAD=4 make stress
#   scripts/stress.sh -x tests/test_daemon.py   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
LOAD=${LOAD:-2}
PY=${STRESS_PYTHON:-.venv/bin/python}

load_pids=()
test_pid=
stop_load() {
    local pid
    if [[ -n $test_pid ]]; then  # interrupted during a round: stop that pytest too
        kill "$test_pid" 2>/dev/null || true
        wait "$test_pid" 2>/dev/null || true
    fi
    for pid in ${load_pids[@]+"${load_pids[@]}"}; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in ${load_pids[@]+"${load_pids[@]}"}; do
        wait "$pid" 2>/dev/null || true
    done
    load_pids=()
}
trap stop_load EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq 1 "$LOAD"); do
    "$PY" -c 'while True: pass' &
    load_pids+=("$!")
done
echo "stress: $ROUNDS round(s) of the test suite under $LOAD busy loop(s) (pids ${load_pids[*]-none})"

failed=()
start=$SECONDS
for round in $(seq 1 "$ROUNDS"); do
    echo "=== stress round $round/$ROUNDS"
    round_start=$SECONDS
    # in the background and waited for, so a TERM/INT to this script is handled at once
    "$PY" -m pytest -q -p no:randomly ${PYTEST_ARGS--n 2} "$@" </dev/null &
    test_pid=$!
    status=0
    wait "$test_pid" || status=$?
    test_pid=
    if ((status == 0)); then
        echo "=== round $round passed in $((SECONDS - round_start))s"
    else
        echo "=== round $round FAILED (exit $status) in $((SECONDS - round_start))s"
        failed+=("$round")
    fi
done

stop_load
if ((${#failed[@]})); then
    echo "stress: ${#failed[@]} of $ROUNDS round(s) failed (rounds: ${failed[*]}) in $((SECONDS - start))s"
    exit 1
fi
echo "stress: all $ROUNDS round(s) passed in $((SECONDS - start))s"
