"""Adversarial cases for this session's changes that their own tests did not write."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from orchestrator.classify import MODEL_COMPLEX_MIN, Classifier
from orchestrator.config import Config
from orchestrator.events import Tail
from orchestrator.learned import LearnedModel
from orchestrator.models import QueueTask
from orchestrator.routing import MODEL_MASTER_MIN
from orchestrator.store import FolderStore, Layout
from orchestrator.web import eventlog


def test_tail_keeps_its_byte_position_past_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """A torn multi-byte character (a writer killed mid-line) or a stray byte in the events file:
    the reader must go on from the very next byte, neither skipping nor reading events twice."""
    path = tmp_path / "dashboard-events.jsonl"
    path.write_bytes(b'{"type": "a", "m": "\xff\xfe"}\n{"type": "b", "m": "\xe2\x82\n{"type": "c"}\n')
    tail = Tail(path, 0)
    found, rotated = tail.read()
    assert [e["type"] for e in found] == ["a", "c"] and not rotated
    assert tail.position == path.stat().st_size
    assert tail.read() == ([], False)  # not taken for a truncation: nothing read twice
    with path.open("ab") as handle:
        handle.write(b'{"type": "d"}\n')
    assert tail.read() == ([{"type": "d"}], False)
    assert found[0]["m"] == "\ufffd"  # shown as one replacement character: printable, encodable
    assert found[0]["m"].encode("utf-8")


def test_an_older_page_of_events_starts_at_its_line_past_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """The web page's "older" cursor is a byte offset: it must point at the oldest shown line."""
    path = tmp_path / "dashboard-events.jsonl"
    lines = [b'{"type": "a"}\n', b'{"type": "b", "m": "\xff\xff\xff\xff"}\n', b'{"type": "c"}\n', b'{"type": "d"}\n']
    path.write_bytes(b"".join(lines))
    newest = eventlog.page(path, eventlog.Filter(), 2)
    assert [e["type"] for e in newest.events] == ["c", "d"]
    assert newest.older == len(lines[0]) + len(lines[1])
    older = eventlog.page(path, eventlog.Filter(), 2, newest.older)
    assert [e["type"] for e in older.events] == ["a", "b"] and older.older is None


def _record(title: str, decision: str, master: str | None) -> dict[str, Any]:
    return {"label": {"decision": decision, "master": master}, "task": {"id": title, "title": title}}


def test_a_model_that_saw_one_label_decides_nothing() -> None:
    """A damaged corpus whose simple tasks all name one master (the others' labels mistyped), or
    whose tasks are all complex: a model that never saw an alternative is not sure, it is blind.
    It must not move a task the rules' words gave to another master, nor make every task complex."""
    records = [_record(f"Deploy the service {n}", "simple", "cicd") for n in range(20)]
    records += [_record(f"Rewrite the platform {n}", "complex", None) for n in range(20)]
    model = LearnedModel(records)
    judged = model.judge("Fix the login form's CSS", "", None)
    assert max(judged.masters.values()) < MODEL_MASTER_MIN
    classifier = Classifier(Config().classifier, learned=model)
    task = QueueTask.model_validate({"id": "t1", "title": "Fix the login form's CSS on the settings page"})
    decided = classifier.classify(task)
    assert decided.master == Classifier(Config().classifier, learned=None).classify(task).master
    everything_complex = LearnedModel([_record(f"Rewrite the platform {n}", "complex", None) for n in range(20)])
    assert everything_complex.judge("Fix a typo", "", None).complex < MODEL_COMPLEX_MIN


def test_a_file_truncated_and_written_past_where_the_reader_was_is_read_from_its_start(tmp_path: Path) -> None:
    """``: > events.jsonl`` (or a copy-truncate rotation), then more events than there were before
    the reader looks again: same inode, and larger, yet its bytes before the reader's position are others."""
    path = tmp_path / "dashboard-events.jsonl"
    path.write_bytes(b'{"type": "a"}\n{"type": "b"}\n')
    tail = Tail(path, 0)
    assert [e["type"] for e in tail.read()[0]] == ["a", "b"]
    with path.open("r+b") as handle:  # the same file, emptied and written again
        handle.truncate(0)
        handle.write(b'{"type": "c", "n": 1}\n{"type": "d", "n": 2}\n{"type": "e", "n": 3}\n')
    found, rotated = tail.read()
    assert rotated and [e["type"] for e in found] == ["c", "d", "e"]
    with path.open("ab") as handle:
        handle.write(b'{"type": "f"}\n')
    assert tail.read() == ([{"type": "f"}], False)


def test_spares_tampered_with_between_passes_are_never_written_through(tmp_path: Path) -> None:
    """A spare written to, hard-linked elsewhere, replaced by a symlink to someone's file, or two
    spares swapped: none is used; the queue is still written, and nobody else's file changes."""
    store = FolderStore(Layout(tmp_path))
    store.make_folders()
    with store.working():
        pass
    made = threading.Event()
    for _ in range(4000):  # the spare thread runs between passes: wait for it, without a deadline to assert
        if len(store._spares) >= 6:
            made.set()
            break
        made.wait(0.005)
    assert made.is_set()
    spares = [path for path, _ in list(store._spares)]
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_text("victim")
    with open(spares[0], "ab") as handle:
        handle.write(b"junk")
    os.link(spares[1], outside / "linked")
    os.unlink(spares[2])
    os.symlink(victim, spares[2])
    swap = store.layout.temp / "swap"
    os.rename(spares[3], swap)
    os.rename(spares[4], spares[3])
    os.rename(swap, spares[4])
    for n in range(6):
        with store.working():
            store.write_json(store.layout.queue, {"tasks": [{"id": str(n)}]})
        assert store.read_json(store.layout.queue) == {"tasks": [{"id": str(n)}]}
    store.drop_spares()
    assert victim.read_text() == "victim" and (outside / "linked").stat().st_size == 0
    assert Path(spares[0]).read_bytes() == b"junk"
