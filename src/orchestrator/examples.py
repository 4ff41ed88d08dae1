"""The examples each command's ``--help`` ends with (``tests/test_operator_cli.py`` checks that every
command has one)."""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    "run": """\
  orchestrator run --coordination-dir /srv/agents/coordination
  orchestrator run --init --coordination-dir ./coordination     # create the folder first
  orchestrator run --standby          # a second host waits and takes over""",
    "submit": """\
  orchestrator submit "Fix XSS in the login form" --priority high --type security
  orchestrator submit "Add authentication system with security audit and docs" --orchestrate --json
  orchestrator submit --init "First task"     # the folder does not exist yet: create it
  orchestrator submit --task-file tasks.json   # every task of the file, in one queue update""",
    "plan": """\
  orchestrator plan --dry-run "Add authentication system with security audit and docs"
  orchestrator plan --dry-run --json --task-file task.json""",
    "status": """\
  orchestrator status
  orchestrator status --state blocked --state pending --priority high
  orchestrator status --master security --json
  orchestrator status --watch""",
    "show": """\
  orchestrator show orch-task-1762342920
  orchestrator show task-1762342920            # the task id works too
  orchestrator show orch-task-1762342920 --format mermaid > plan.mmd
  orchestrator show orch-task-1762342920 --json""",
    "events": """\
  orchestrator events --last 20
  orchestrator events -f --orchestration orch-task-1762342920
  orchestrator events --type subtask_failed --type orchestration_blocked --since 2h
  orchestrator events --since 2026-11-26T08:00 --json | jq .type""",
    "explain": """\
  orchestrator explain task-1762342920
  orchestrator explain orch-task-1762342920 --json""",
    "config": """\
  orchestrator config
  orchestrator config --json | jq '.[] | select(.source != "default")'""",
    "doctor": """\
  orchestrator doctor
  orchestrator doctor --json""",
    "subtask": """\
  orchestrator subtask start orch-task-1-s01-design --worker-id worker-dev-001 --pid 4242
  orchestrator subtask heartbeat orch-task-1-s01-design --progress "schema drafted"
  orchestrator subtask complete orch-task-1-s01-design --result-file design.md --json
  orchestrator subtask fail orch-task-1-s01-design --reason "tests do not build" --permanent""",
    "resume": """\
  orchestrator resume orch-task-1762342920 --retry orch-task-1762342920-s04-tests
  orchestrator resume orch-task-1762342920 --skip orch-task-1762342920-s06-docs
  orchestrator resume orch-task-1762342920 --abort""",
    "cancel": """\
  orchestrator cancel task-1762342920 --reason "duplicate of task-1762342000"
  orchestrator cancel task-1762342920 --json""",
    "retry": """\
  orchestrator retry task-1762342920
  orchestrator retry task-1762342920 --json""",
    "move": """\
  orchestrator move task-1762342920 security
  orchestrator move task-1762342920 cicd --json""",
    "reload": """\
  orchestrator reload --coordination-dir /srv/agents/coordination""",
    "stop": """\
  orchestrator stop
  orchestrator stop --timeout 60""",
    "service": """\
  orchestrator service --coordination-dir /srv/agents/coordination --user agent
  sudo "$(command -v orchestrator)" service --install --coordination-dir /srv/agents/coordination --user agent
  sudo "$(command -v orchestrator)" service --install --force --writable /srv/agents/workspace   # sudo's PATH has no .venv""",
    "web": """\
  orchestrator web --coordination-dir /srv/agents/coordination      # then open http://127.0.0.1:8080/
  orchestrator web --host 0.0.0.0 --port 9000 --token "$(openssl rand -hex 16)"   # reachable from elsewhere""",
    "schema": """\
  orchestrator schema task
  orchestrator schema config | jq '.properties | keys'""",
    "completion": """\
  orchestrator completion bash > ~/.local/share/bash-completion/completions/orchestrator
  orchestrator completion zsh > "${fpath[1]}/_orchestrator"
  orchestrator completion fish > ~/.config/fish/completions/orchestrator.fish""",
}
"""At least one example per command, shown at the end of its ``--help``."""

NOTES: dict[str, str] = {
    "run": """\
signals:
  SIGTERM, SIGINT   finish the current step, save, say orchestrator_stopped, exit 0
  SIGHUP            read the configuration again (config_reloaded; a wrong one is
                    reported, config_reload_failed, and the running one kept)

exit status:
  0  stopped by a signal or `orchestrator stop`
  1  an error nobody foresaw (its traceback is in the log; a unit is restarted)
  2  a wrong configuration, a missing folder (--init creates it), a file where
     the daemon keeps a folder
  3  another daemon owns the folder (--standby waits to take over)

logs: one line per step on stderr, JSON when stderr is not a terminal (the journal);
the same steps are events in DIR/dashboard-events.jsonl (orchestrator events -f).
Under systemd (orchestrator service): Type=notify, READY=1 once the folder is
watched, a STATUS= summary, WATCHDOG=1 from the event loop, STOPPING=1.""",
}
"""What a manual page would add to a command's ``--help`` after its examples (the daemon's signals, exit status, logs)."""

OVERVIEW = """\
Run 'orchestrator COMMAND --help' for a command's options and examples.

exit status (every command):
  0  done, nothing wrong (warnings such as no daemon running are not problems)
  1  a problem found, or the work refused: nothing changed
  2  wrong usage: an unknown option, command or value, a blank title, a missing
     coordination folder, a configuration file that cannot be used
  3  run: another daemon owns the folder

environment:
  ORCHESTRATOR_COORDINATION_DIR  the folder when --coordination-dir is not given
  ORCHESTRATOR_WEB_TOKEN         the token of `orchestrator web` without --token
  NO_COLOR, FORCE_COLOR, TERM    colour off (NO_COLOR, TERM=dumb) or on into a pipe

files (in DIR): task-queue.json (the queue), dashboard-events.jsonl (the events),
orchestrator/config.toml (the configuration), orchestrator/tasks/ (the plans),
orchestrator/daemon.lock (the daemon's lock and PID). The README says the rest."""
"""The end of ``orchestrator --help``: what a manual page's EXIT STATUS, ENVIRONMENT and FILES say."""
