"""attack22: the start's sweep of the temp files a50407b leaves behind (a create's temp file whose removal was
refused after its link), the planner (plans17/18) and cx16's rules under hostile input."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from orchestrator import planner as planner_module
from orchestrator.classify import Classifier
from orchestrator.config import Config, Settings
from orchestrator.core import Core
from orchestrator.imperatives import _OWNER_LINE_RE, as_work_text
from orchestrator.models import QueueTask
from orchestrator.planner import _work_words, builtin_drafts
from orchestrator.store import FolderStore, Layout, is_own_temp
from test_core import FakeProcesses

CONFIG = Config()
CLASSIFIER = Classifier(CONFIG.classifier)
T = TypeVar("T")

# --- 1. a50407b: the temp file a create leaves when its removal is refused ---------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> FolderStore:
    folder = FolderStore(Layout(tmp_path / "root"))
    folder.make_folders()
    return folder


def _left_linked(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[Path]]:
    """A create whose temp files' removal is refused (its temp folder made unwritable after the links): the file is
    made and its temp file stays, a second name of the live file, an hour old at the next start, where the temp
    folder is still unwritable."""
    unlink = os.unlink

    def refused(path: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        if Path(path).parent == store.layout.temp and is_own_temp(Path(path).name):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", refused)  # Path.unlink calls it too
    made = store.layout.task_handoff("development", "t1")
    assert store.create_json_many([(made, {"n": 1}), (store.layout.task_handoff("security", "t2"), {"n": 2})]) \
        == [True, True]
    store.drop_spares()
    left = [path for path in store.layout.temp.iterdir() if is_own_temp(path.name)]
    assert len(left) == 2 and all(path.stat().st_nlink == 2 for path in left)  # the live files' second names
    hour_ago = time.time() - 3600
    for path in left:
        os.utime(path, (hour_ago, hour_ago))
    return made, left


def test_a_temp_file_the_sweep_cannot_remove_does_not_stop_the_start(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """a50407b leaves a create's temp file in a temp folder made unwritable, 'for the start's sweep'. The sweep
    asked only FileNotFoundError of its removal: at the next start, the temp folder still unwritable (the daemon runs
    with one: its temp files go beside their files), it raised PermissionError and the daemon never started. A temp
    file it cannot remove is left for a later start; the others are swept; the live file is kept."""
    made, left = _left_linked(store, monkeypatch)
    other = store.layout.subtasks / ".orchestrator-s1.json.0123456789ab.tmp"  # a crash's, in a writable folder
    other.write_text("{}")
    os.utime(other, (time.time() - 3600,) * 2)
    assert FolderStore(store.layout).sweep_temp_files() == [other]
    assert all(path.exists() for path in left) and json.loads(made.read_text()) == {"n": 1}


def test_the_start_goes_on_past_a_temp_file_it_cannot_remove(
        store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, as the daemon meets it: Core.start on the folder returns, its live files as they were."""
    store.layout.queue.write_text('{"tasks": []}')
    made, left = _left_linked(store, monkeypatch)
    core = Core(FolderStore(store.layout), Settings(Config()), processes=FakeProcesses())
    core.start(pid=os.getpid())
    assert all(path.exists() for path in left) and json.loads(made.read_text()) == {"n": 1}


_SWEEP_AS_NOBODY = r'''
import json, os, sys, time
from pathlib import Path
from orchestrator.store import FolderStore, Layout
layout = Layout(Path(sys.argv[1]))
store = FolderStore(layout)
store.make_folders()
link = os.link
def link_then_lock(src, dst, *args, **kwargs):  # the temp folder made unwritable right after the link
    link(src, dst, *args, **kwargs)
    os.chmod(layout.temp, 0o555)
os.link = link_then_lock
made = layout.task_handoff("development", "t1")
created = store.create_json_many([(made, {"n": 1}), (layout.task_handoff("security", "t2"), {"n": 2})])
os.link = link
store.drop_spares()
left = sorted(layout.temp.iterdir())
for path in left:
    os.utime(path, (time.time() - 3600,) * 2)
try:
    swept = [str(path) for path in FolderStore(layout).sweep_temp_files()]
except OSError as exc:
    swept = f"raised {type(exc).__name__}"
print(json.dumps([created, [path.stat().st_nlink for path in left], swept, json.loads(made.read_text())]))
'''


def test_the_sweep_in_a_temp_folder_made_unwritable_as_a_user_would_meet_it() -> None:
    """Checked with real permissions: a store run as nobody, its temp folder made read-only after a create's link."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to run the store as another user (setpriv)")
    root = Path(tempfile.mkdtemp(prefix="attack22-"))
    try:
        os.chown(root, 65534, 65534)  # nobody
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                               _SWEEP_AS_NOBODY, str(root / "root")], capture_output=True, text=True, timeout=60)
        if "Permission denied" in done.stderr and "orchestrator" in done.stderr and "import" in done.stderr:
            pytest.skip("the package is not readable by another user here")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [[True, True], [2, 2], [], {"n": 1}]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_folder_the_sweep_cannot_list_is_passed_over(store: FolderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder of the layout made unreadable (the daemon reads it as empty: FolderStore.scan, listable) stopped the
    sweep with PermissionError, and with it the start; the sweep goes on with the next folder."""
    hour_ago = time.time() - 3600
    kept = store.layout.tasks / ".orchestrator-o.json.ba9876543210.tmp"
    swept = store.layout.requests / ".orchestrator-r.json.0123456789ab.tmp"
    for path in (kept, swept):
        path.write_text("{}")
        os.utime(path, (hour_ago, hour_ago))
    scandir = os.scandir

    def unreadable(path: str | os.PathLike[str]) -> object:
        if Path(path) == store.layout.tasks:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", unreadable)
    assert store.sweep_temp_files() == [swept]
    assert kept.exists() and not swept.exists()


# --- 2. the planner on hostile text: no pattern backtracks over a long run -------------------------------------------


class _TookTooLong(Exception):
    pass


def _in_time(work: Callable[[], T], seconds: float = 10.0) -> T:
    """``work``'s result, or a failure once ``seconds`` ran out. The bound is far above what the work takes (a few
    ms), so a loaded machine does not fail it; a pattern that backtracks quadratically over 20,000 characters takes
    from 20 s to minutes (the regex engine checks for signals, so the alarm stops it)."""
    def stop(*_: Any) -> None:
        raise _TookTooLong

    before = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return work()
    except _TookTooLong:
        pytest.fail(f"still running after {seconds} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


HOSTILE_LINES = ["-" * 20_000, ". " * 10_000, "; " * 10_000, "x " + "—" * 20_000]


@pytest.mark.parametrize("text", HOSTILE_LINES, ids=["dashes", "full stops", "semicolons", "em dashes"])
def test_an_owner_line_is_found_without_backtracking_over_a_run_of_separators(text: str) -> None:
    """_OWNER_LINE_RE's work could end anywhere and the separators after it are the same characters: each end tried
    the whole run after it (46 s for a line of 20,000 dashes, 23 s for 10,000 full stops: the planner reads every
    description through it). The work now ends on a character no separator is."""
    assert _in_time(lambda: _OWNER_LINE_RE.sub(r"\g<mark>\g<team>: \g<work>", text)) == text
    assert _in_time(lambda: as_work_text(text, _work_words(CLASSIFIER))) is not None


@pytest.mark.parametrize(("line", "read"), [
    ("Write the export job. Owner: engineering", "engineering: Write the export job"),
    ("- [ ] Port the scripts (owner: data engineering)", "- [ ] engineering: Port the scripts"),
    ("Deploy it --- owned by backend", "backend: Deploy it"),
    ("3. Rotate the keys; assignee: @security", "3. @security: Rotate the keys"),
])
def test_an_owner_line_is_still_read_as_the_teams_label(line: str, read: str) -> None:
    """The near cases: a work that ends before its separators is read as before."""
    assert _OWNER_LINE_RE.sub(r"\g<mark>\g<team>: \g<work>", line) == read


@pytest.mark.parametrize("text", HOSTILE_LINES, ids=["dashes", "full stops", "semicolons", "em dashes"])
def test_the_planner_drafts_a_hostile_description_in_time(text: str) -> None:
    task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": "Integrate the new ERP",
                                     "description": text})
    assert _in_time(lambda: builtin_drafts(task, CLASSIFIER, CONFIG.planner))


class _Searched:
    """A pattern that counts the characters it is asked to search (work, not time: tests never assert timings)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.characters = pattern, 0

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        self.characters += len(text)
        return self.pattern.search(text, *args)


def _opening_searched(monkeypatch: pytest.MonkeyPatch, description: str) -> int:
    searched = _Searched(planner_module._CLAUSE_VERB_RE)
    monkeypatch.setattr(planner_module, "_CLAUSE_VERB_RE", searched)
    task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": "Build the thing",
                                     "description": description})
    builtin_drafts(task, CLASSIFIER, CONFIG.planner)
    return searched.characters


def test_a_run_of_asks_without_a_stop_is_not_searched_again_from_its_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run-on sentence's ask is cut from what happened before it (_asks_apart), which is looked for back to the
    sentence's start; a pasted run of a thousand asks without a stop ("We need X: a, b, c; " over 20 KB) was searched
    again from its start for each: 10 million characters, 1.6 s of CPU. No sentence is longer than 1,000 characters.
    The near case, an ask in a sentence of ordinary length still cut from the history before it, is
    test_plan_wording's test_an_ask_inside_a_run_on_sentence_is_not_cut_with_the_history_before_it."""
    assert _opening_searched(monkeypatch, ("We need X: a, b, c; " * 1000)[:20_000]) < 3_000_000


# --- 3. the classifier on hostile text (every task is classified: a pass waits for it) ------------------------------


HYPHENATED = "x-" * 10_000


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_hyphenated_run_is_classified_and_planned_in_time(field: str) -> None:
    """classify._SHARED_HEAD_RE and routing._NAMED_TEST_RE started a word at any word boundary, and each part of a
    hyphenated run ("x-x-x-..."; a pasted key, a long slug) is one: the run was scanned again from each of its parts.
    20,000 characters took the classifier 9 s and the planner over 10 s; a word starts where no word character or
    hyphen is before it now."""
    fields = {"title": "Integrate the new ERP", "description": "Deploy it."} | {field: HYPHENATED}
    task = QueueTask.model_validate({"id": "t-1", "status": "pending", **fields})
    assert _in_time(lambda: CLASSIFIER.classify(task)).decision
    assert _in_time(lambda: builtin_drafts(task, CLASSIFIER, CONFIG.planner))


def test_the_patterns_still_find_what_they_name() -> None:
    """The near cases: a spec file's name and a list of kinds sharing one head noun, a hyphen inside them included."""
    from orchestrator.classify import _SHARED_HEAD_RE
    from orchestrator.routing import _NAMED_TEST_RE

    assert _NAMED_TEST_RE.search("the check-out.spec.ts test fails on CI")
    assert _NAMED_TEST_RE.search("fix cart.test.jsx")
    assert not _NAMED_TEST_RE.search("the check-out spec fails")
    assert _SHARED_HEAD_RE.sub(r"\1", "add lint, unit-test and build stages") == "add stages"
    # the one change: a first word with a hyphen is taken whole (it kept "x-" of "x-y": "x-environments")
    assert _SHARED_HEAD_RE.sub(r"\1", "x-y, dev, staging and prod environments") == "environments"
    from orchestrator.planner import _MAINTENANCE_TOPIC_RE

    assert _MAINTENANCE_TOPIC_RE.search("the pacs-arch-02 host") and _MAINTENANCE_TOPIC_RE.search("x9-pacs-02")
    assert not _MAINTENANCE_TOPIC_RE.search("the pacs-arch host") and not _MAINTENANCE_TOPIC_RE.search("x9-pacs-2026a")


# --- 4. the classifier's answer does not depend on space the writer did not mean ------------------------------------


def _decided(title: str, description: str | None = None) -> tuple[str, str | None]:
    decision = CLASSIFIER.classify(QueueTask.model_validate(
        {"id": "t-1", "status": "pending", "title": title, "description": description}))
    return decision.decision, decision.master


@pytest.mark.parametrize(("title", "description"), [
    ("Set the default branch protection rules on all new repos", "Via the org ruleset."),
    ("Upgrade nginx-ingress on all three clusters to 1.10", "helm upgrade ingress-nginx --version 4.10.0, per cluster."),
])
def test_space_before_a_title_changes_nothing(title: str, description: str) -> None:
    """A space before the title ("  Set the ... on all new repos", a form's field pasted into) made these complex
    ('affects entire systems (on all)'): the rule that excuses a title opening with its verb is anchored at its start."""
    assert _decided(f"  {title}", description) == _decided(title, description) == _decided(f"{title} \n", description)
    assert _decided(title, description)[0] == "simple"


def test_a_description_of_only_space_is_no_description() -> None:
    """A description of blank lines ("\\n\\n ") made 'Containerise the legacy .NET apps (4 of them) and move them to
    AKS' complex (a sequence read in the title once a description was there); it is read as none."""
    title = "Containerise the legacy .NET apps (4 of them) and move them to AKS"
    assert _decided(title, "\n\n ") == _decided(title, "") == _decided(title) == ("simple", "cicd")


PASTED = [
    ("Warehouse scanners: new firmware + asset tags + app update", "", lambda text: text.replace(" ", "  ")),
    ("Customer asks for our SOC 2 report and pen test letter", "Send both from the trust portal under their NDA.",
     lambda text: text.replace(" ", "\u00a0")),
    ("Migrate the api repo's pipeline from Travis to GitHub Actions", "Same steps: lint, test, build image, push.",
     lambda text: text.replace("'", "\u2019")),
    ("Penetration test of the mobile API", "Have an external firm pen-test the mobile API, triage what they find, fix "
     "the critical findings and retest them.", lambda text: text + "\n\n "),
    ("Goal: CI under 10 minutes for the api repo", "AC: parallel test shards (4), dependency cache, skip e2e on "
     "docs-only changes.", lambda text: text.replace(" ", "\t")),
]


@pytest.mark.parametrize(("title", "description", "pasted"), PASTED,
                         ids=["two spaces", "no-break spaces", "curly apostrophe", "trailing space", "tabs"])
def test_space_and_apostrophes_as_pasted_decide_nothing(title: str, description: str,
                                                         pasted: Callable[[str], str]) -> None:
    """Over 2,740 tasks, two spaces between words changed 96 decisions, no-break spaces (a document's, a mail's) 78,
    tabs 32, a curly apostrophe 8, blank lines after the description 1: a rule's literal space or apostrophe did not
    match them ('asset tags' was no inventory word with two spaces). They are read as one space and an apostrophe;
    space where a line starts is kept (below)."""
    assert _decided(pasted(title), pasted(description)) == _decided(title, description)


def test_a_descriptions_indentation_is_kept() -> None:
    """The near case: a description's own space (a list indented under its first line) is the writer's, not cut."""
    from orchestrator.routing import Router

    task = QueueTask.model_validate({"id": "t-1", "status": "pending", "title": "Rotate keys",
                                     "description": "  - the API key\n\t- the signing key\n    key = 1"})
    assert CLASSIFIER.bounded(task).full_description == "  - the API key\n\t- the signing key\n    key = 1"
    assert isinstance(CLASSIFIER, Router)


# --- 5. left open: titles cut mid-phrase (topic_of), found by the fuzzer on plain tasks --------------------------------


@pytest.mark.parametrize("title", ["Kindly implement the feature of the bulk upload of the users by CSV",
                                   "Overview of which of our games use which Unreal Engine version"])
def test_no_title_ends_on_a_dangling_word(title: str) -> None:
    """route7's task and a report's title: 'Design feature of the bulk architecture', 'Plan the work on overview of',
    'Review the results of overview of and report'."""
    from test_planner import plan_for

    dangling = re.compile(r"\b(?:of|the|a|an|and|to|with)\s*$|\bof\s+(?:architecture|backend|frontend|and)\b")
    titles = [subtask.title for subtask in plan_for(title=title).subtasks]
    assert not [t for t in titles if dangling.search(t) or re.search(r"\bof the bulk\b", t)], titles
