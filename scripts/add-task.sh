#!/usr/bin/env bash
# add-task.sh QUEUE TITLE [PRIORITY [DESCRIPTION]]: append a pending task to the queue, safely.
set -euo pipefail
queue=${1:?usage: add-task.sh QUEUE TITLE [PRIORITY [DESCRIPTION]]}
title=${2:?a title}
priority=${3:-medium}
description=${4:-}
id="task-$(date +%s)-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
exec 9>>"$queue.lock"                      # the lock the daemon and `orchestrator submit` take
flock -w "${LOCK_WAIT:-10}" 9 || { echo "add-task: $queue.lock is held; nothing written" >&2; exit 1; }
tmp=$(mktemp "$queue.XXXXXX")              # same folder: the rename below is atomic
trap 'rm -f "$tmp"' EXIT
# jq reads an empty file (another writer is rewriting it) as no input: prints nothing, exits 0.
# So: `input` fails when there is none, a half-written file fails to parse, anything but
# {"tasks": [...]} is refused, and only a non-empty result replaces the queue.
jq -n --arg id "$id" --arg title "$title" --arg priority "$priority" --arg now "$now" \
   --arg description "$description" '
  input | if type == "object" and (.tasks | type) == "array"
  then .tasks += [{id: $id, title: $title, priority: $priority, status: "pending",
                   created_at: $now, created_by: "add-task.sh"}
                  + (if $description == "" then {} else {description: $description} end)]
  else error("not a task queue") end' "$queue" > "$tmp" \
  || { echo "add-task: $queue is empty, half-written or not a queue; left as it is" >&2; exit 1; }
[ -s "$tmp" ] || { echo "add-task: jq wrote nothing; $queue left as it is" >&2; exit 1; }
chmod --reference="$queue" "$tmp"
sync "$tmp"                                # on disk before it replaces the queue
mv "$tmp" "$queue"
echo "$id"
