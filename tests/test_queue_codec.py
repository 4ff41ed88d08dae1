"""The incremental queue reader and writer return exactly what a full parse and a full encode do.

Random edit sequences as other writers make them (append, edit in place, delete, reorder,
duplicate, reformat, garbage, truncation), interleaved with the daemon's own read-modify-writes:
after every step the codec's document must be the full parser's, value for value and type for
type (``1``, ``1.0`` and ``True`` are equal in Python, not in a file), and a file the full parser
refuses must be refused with its message.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from orchestrator import store as store_module
from orchestrator.config import Config, Settings
from orchestrator.queue_codec import QueueCodec
from orchestrator.store import MemoryStore, Snapshot, StoreError, dump_lines, parse_json

PATH = Path("/coordination/task-queue.json")
ALPHABET = ['a', 'b', ' ', '"', '\\', '}', '{', ',', ':', '[', ']', '\n', '\t', 'é', '😀', '\u2028', 'tasks',
            '}, {', '},\n    {', '"tasks": [', '\\u0074', '/']


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types and key order all the way down (and -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6)))


def value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randint(0, 11 if depth < 2 else 7)
    if kind == 0:
        return text(rng)
    if kind == 1:
        return rng.choice([0, 1, -7, 2**63, 2**70, -(2**80)])
    if kind == 2:
        return rng.choice([0.1, -0.0, 1e300, 1e-320, 2.5, 1.0])
    if kind == 3:
        return rng.choice([True, False, None])
    if kind <= 7:
        return text(rng) or "x"
    if kind <= 9:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {text(rng): value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def task(rng: random.Random, n: int) -> Any:
    if rng.random() < 0.03:
        return value(rng)  # not a task object: garbage another writer left
    entry: dict[str, Any] = {"id": f"t-{n}", "title": text(rng), "status": rng.choice(["pending", "completed"])}
    for _ in range(rng.randint(0, 3)):
        entry[text(rng) or "k"] = value(rng)
    if rng.random() < 0.1:
        entry["subtasks"] = [{"a": 1}, {"b": [{"c": 2}, {"d": 3}]}]  # the separator's bytes, nested
    return entry


FORMATS: list[dict[str, Any]] = [
    {}, {"indent": 2}, {"indent": 4}, {"separators": (",", ":")}, {"ensure_ascii": False},
    {"indent": "\t"}, {"sort_keys": True}, {"lines": True},
]


def encode(document: Any, style: dict[str, Any]) -> bytes:
    if style.get("lines") and isinstance(document, dict):
        return dump_lines(document)
    options = {k: v for k, v in style.items() if k != "lines"}
    try:
        return json.dumps(document, **options).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only ASCII escapes can hold it
        return json.dumps(document, **{**options, "ensure_ascii": True}).encode()


def full(raw: bytes) -> Any:
    try:
        return parse_json(raw, PATH)
    except StoreError as exc:
        return exc


def check(codec: QueueCodec, raw: bytes) -> Any:
    expected = full(raw)
    try:
        got = codec.decode(raw, lambda data: parse_json(data, PATH))
    except StoreError as exc:
        got = exc
    if isinstance(expected, StoreError):
        assert isinstance(got, StoreError) and str(got) == str(expected)
        return None
    assert same(got, expected), (raw[:300], got, expected)
    tasks = got.get("tasks") if isinstance(got, dict) else None
    if isinstance(tasks, list):
        assert len({id(t) for t in tasks if isinstance(t, dict)}) == sum(isinstance(t, dict) for t in tasks)
    return got


def garble(rng: random.Random, raw: bytes) -> bytes:
    at = rng.randrange(len(raw) + 1)
    kind = rng.randint(0, 4)
    if kind == 0:
        return raw[:at]  # truncated: a writer half-way through
    if kind == 1:
        return raw[:at] + bytes([rng.randrange(256)]) + raw[at + 1:]
    if kind == 2:
        return raw[:at] + rng.choice([b"}, {", b",", b"]", b'"', b"\x0c", b"\xff", b'"tasks": [', b"NaN"]) + raw[at:]
    if kind == 3:
        return raw.replace(b"}, {", b"},{", 1)  # one separator unlike the others
    return raw[:at] + raw[at:].replace(b"\n", b"\r\n")


def other_writer(rng: random.Random, document: dict[str, Any], style: dict[str, Any]) -> dict[str, Any]:
    tasks = document["tasks"]
    step = rng.randint(0, 9)
    if step <= 2 or not tasks:
        tasks.append(task(rng, rng.randrange(10**6)))
    elif step == 3 and isinstance(tasks[-1], dict):
        tasks[rng.randrange(len(tasks))] = {**tasks[-1], "status": "assigned"}  # an edit in place
    elif step == 4:
        tasks.pop(rng.randrange(len(tasks)))
    elif step == 5:
        rng.shuffle(tasks) if rng.random() < 0.3 else tasks.insert(0, tasks.pop())
    elif step == 6:
        tasks.append(tasks[rng.randrange(len(tasks))])  # the same bytes twice
    elif step == 7:
        key = rng.choice(["version", "last_updated", "notes", "zz"])
        document[key] = value(rng)
    elif step == 8:
        entry = tasks[rng.randrange(len(tasks))]
        if isinstance(entry, dict):
            entry[text(rng) or "k"] = value(rng)
    else:
        del tasks[rng.randrange(len(tasks)):]
    return json.loads(encode(document, style))  # what the next writer reads back: fresh dicts


@pytest.mark.parametrize("seed", range(40))
def test_the_incremental_reader_returns_what_a_full_parse_returns(seed: int) -> None:
    rng = random.Random(seed)
    codec = QueueCodec()
    document: dict[str, Any] = {"version": "2.1", "tasks": [task(rng, n) for n in range(rng.randint(0, 60))]}
    style = rng.choice(FORMATS)
    for _ in range(40):
        if rng.random() < 0.15:
            style = rng.choice(FORMATS)  # reformatted whole
        document = other_writer(rng, document, style)
        raw = encode(document, style)
        check(codec, raw)
        if rng.random() < 0.2:
            check(codec, garble(rng, raw))
            check(codec, raw)


@pytest.mark.parametrize("seed", range(25))
def test_the_daemons_own_writes_between_other_writers_read_back_exactly(seed: int) -> None:
    """Read, change some tasks (said or unsaid), write one task per line; another writer rewrites
    it in its own format, or puts back an old copy: every read is still the full parse."""
    rng = random.Random(seed)
    store = MemoryStore(settings=Settings(Config.model_validate({"watch": {"read_retries": 0}})))
    style = rng.choice(FORMATS)
    document: dict[str, Any] = {"version": "2.1", "tasks": [task(rng, n) for n in range(rng.randint(1, 40))]}
    copies: list[bytes] = []
    for _ in range(30):
        raw = encode(document, style)
        copies.append(raw)
        store.put(store.layout.queue, rng.choice(copies[-3:]) if rng.random() < 0.2 else raw)  # maybe an old copy
        snapshot = checked_read(store)
        if snapshot is None:
            continue
        says = rng.random() < 0.7

        def change(current: Snapshot, says: bool = says) -> bool:
            entries = [e for e in current.tasks if isinstance(e, dict)]
            for entry in rng.sample(entries, min(len(entries), rng.randint(0, 2))):
                (current.edit(entry) if says else entry)["status"] = rng.choice(["assigned", "orchestrating"])
                entry.setdefault("routing_reasons", []).append(text(rng))
            if rng.random() < 0.2:
                current.tasks.append(task(rng, rng.randrange(10**6)))
            return True

        written = store.update_queue(change, known=snapshot if rng.random() < 0.5 else None, says_edits=says)
        assert written is not None
        assert same(json.loads(store.files[store.layout.queue]), json.loads(dump_lines(written.document)))
        back = checked_read(store)
        assert back is not None and same(back.document, json.loads(store.files[store.layout.queue]))
        if rng.random() < 0.3:
            style = rng.choice(FORMATS)
        document = other_writer(rng, json.loads(store.files[store.layout.queue]), style)


def checked_read(store: MemoryStore) -> Snapshot | None:
    raw = store.files[store.layout.queue]
    expected = full(raw)
    try:
        snapshot = store.read_queue()
    except StoreError as exc:
        assert isinstance(expected, StoreError) and str(exc) == str(expected)
        return None
    assert snapshot is not None and same(snapshot.document, expected)
    return snapshot


def test_appending_or_editing_one_task_parses_only_that_task() -> None:
    """The common cases are fast: one task appended or changed in a 500-task queue costs one parse."""
    codec = QueueCodec()
    tasks = [{"id": f"t-{n}", "title": "x", "status": "completed"} for n in range(500)]
    for edited, style in enumerate(({}, {"indent": 2}, {"lines": True})):
        first = check(codec, encode({"tasks": tasks}, style))
        check(codec, encode({"tasks": tasks}, style))
        tasks.append({"id": "new", "title": "y", "status": "pending"})
        again = check(codec, encode({"tasks": tasks}, style))
        assert codec.parsed == 1 and again["tasks"][0] is first["tasks"][0]
        tasks[250 + edited] = {**tasks[250 + edited], "status": "assigned"}
        check(codec, encode({"tasks": tasks}, style))
        assert codec.parsed == 1
        tasks.insert(0, tasks.pop())  # reordered: found by its bytes, not its place
        check(codec, encode({"tasks": tasks}, style))
        assert codec.parsed == 0
        tasks.pop(0)


def test_a_task_changed_by_the_daemon_is_never_handed_out_for_its_old_bytes() -> None:
    """A writer puts back the copy from before our claim: the task reads as pending again, not as
    the dict our claim changed."""
    store = MemoryStore()
    old = b'{"tasks": [{"id": "a", "status": "pending"}, {"id": "b", "status": "pending"}]}'
    store.put(store.layout.queue, old)
    snapshot = store.read_queue()
    assert snapshot is not None

    def claim(current: Snapshot) -> bool:
        current.edit(current.tasks[1])["status"] = "orchestrating"
        return True

    store.update_queue(claim, known=snapshot, says_edits=True)
    assert b'"orchestrating"' in store.files[store.layout.queue]
    store.put(store.layout.queue, old)
    again = store.read_queue()
    assert again is not None and again.tasks == [{"id": "a", "status": "pending"}, {"id": "b", "status": "pending"}]
    assert again.tasks[0] is snapshot.tasks[0] and again.tasks[1] is not snapshot.tasks[1]


def test_an_unsaid_change_rewrites_and_rereads_everything() -> None:
    store = MemoryStore()
    store.put(store.layout.queue, b'{"tasks": [{"id": "a", "n": 1}]}')
    snapshot = store.read_queue()
    assert snapshot is not None
    store.update_queue(lambda s: s.tasks[0].update(n=2) is None, known=snapshot)  # no edit() said
    assert json.loads(store.files[store.layout.queue])["tasks"] == [{"id": "a", "n": 2}]
    store.put(store.layout.queue, b'{"tasks": [{"id": "a", "n": 1}]}')
    again = store.read_queue()
    assert again is not None and again.tasks == [{"id": "a", "n": 1}]


def test_unchanged_tasks_keep_their_line_and_a_said_edit_gets_a_new_one() -> None:
    codec = QueueCodec()
    tasks = [{"id": "a"}, {"id": "b"}]
    encoded: list[Any] = []

    def encode(items: list[Any]) -> list[bytes]:
        encoded.extend(items)
        return [json.dumps(t).encode() for t in items]

    assert codec.lines(tasks, encode) == [b'{"id": "a"}', b'{"id": "b"}'] and len(encoded) == 2
    codec.forget([tasks[1]])
    tasks[1]["x"] = 1
    assert codec.lines(tasks, encode)[1] == b'{"id": "b", "x": 1}'
    assert len(encoded) == 3
    codec.lines(tasks, encode)
    assert len(encoded) == 3  # its new line is the one written now
    codec.forget(None)
    codec.lines(tasks, encode)
    assert len(encoded) == 5


@pytest.mark.parametrize("seed", range(20))
def test_lines_encoded_together_are_each_values_own_line(seed: int) -> None:
    """One orjson call for many tasks, cut at a marker: the same bytes as a call per task, also
    when a task holds the marker, a lone surrogate or an integer beyond 64 bits."""
    rng = random.Random(seed)
    values = [task(rng, n) for n in range(rng.randint(0, 30))]
    for _ in range(rng.randint(0, 2)):
        values.insert(rng.randint(0, len(values)), rng.choice([
            [1, store_module._MARK, 2], {"k": store_module._MARK}, "\ud800", 2**70, store_module._MARK]))
    assert store_module._lines(values) == [store_module._one_line(v) for v in values]
    marked = [{"a": 1}, [1, store_module._MARK, 2], {"b": 2}]
    assert store_module._lines(marked) == [store_module._one_line(v) for v in marked]


ODD = [
    b'{"\\u0074asks": [], "m": {"tasks": [{"a": 1}]}}',
    b'{"m": {"tasks": [{"a": 1}]}}',
    b'{"tasks": [\x0c{"a": 1}]}',
    b'{"tasks": [{"a": 1}\x0c]}',
    b'{"tasks": [{"a": 1}\x0c, {"b": 2}]}',
    b'{"tasks": [{"a": 1}], "tasks": [{"b": 2}]}',
    b'{"tasks": [{"a": 1}], "tasks": []}',
    b'{"tasks": [{"a": 1}], "x": {"tasks": []}}',
    b'{"x\\"tasks": [{"a": 1}], "\\u0074asks": []}',
    b'{"\\u0074asks": [], "x\\"tasks": [{"a": 1}]}',
    b'[{"a": 1}, {"b": 2}]',
    b'{"tasks": [{"a": 1}, 2, {"b": 3}]}',
    b'{"tasks": [{"a": "}, {"}, {"b": 1}]}',
    b'{"tasks": [{"a": "}, {\\"b\\": 1"}, {"b": 1}]}',
    b'{"tasks": [{"a": 1}]  , "after": [1, [2]]}',
    b'{"tasks": [{"a": 1, "a": 2}, {"a": 1, "a": 2}]}',
    b'{"tasks": [{"a": 1e400}, {"b": -0.0}, {"c": 123456789012345678901234567890}]}',
    b'{"tasks": [{"a": NaN}]}',
    b'{"tasks": [{"a": 1},{"b": 2}, {"c": 3}]}',
    b'{"tasks": [{"a": 1}, {"b": 2},{"c": 3}]}',
    b'{"tasks": [{"a": 1}, {"b": 2}, ]}',
    b'{"tasks": [, {"b": 2}]}',
    b'{"tasks": [{}, {}, {"a": {}}]}',
    b'\xef\xbb\xbf{"tasks": [{"a": 1}]}',
    b'{"tasks": [{"a": "\xff"}]}',
    b'{"tasks": []}',
    b'{"tasks": [{"a": 1}]}\n\n',
    b'{"tasks": [{"a": 1}]}x',
    b'{"tasks": [{"a": 1}]',
    b'{"v": "\\\\", "tasks": [{"a": 1}]}',
    b'{"v": "x\\\\"tasks": [{"a": 1}]}',
    b'{"tasks": [{"a": 3}, {"b": 2}, {"c": 1}]}',
    b'{"tasks": [{"a": 3}, {"b": 2 , {"c": 1}]}',  # the same bytes up to where a task's "}" was
    b'{"tasks": [{"a": 3}, {"b": 2}, {"c": 1}]}',
    b'{"tasks": [{"a": 3}, {"b": 2}abc"c": 1}]}',  # the same tasks, then no separator
    b'{"tasks": [{"a": 3}, {"b": 2}, {"c": 1}]}',
    b'{"tasks": [{"a": 3}, {"b": 2}, ]}',
]


@pytest.mark.parametrize("order", ["forward", "backward", "alone"])
def test_odd_documents_read_as_the_full_parser_reads_them(order: str) -> None:
    """Hand-made edge cases: every guard of the incremental path is needed by one of them."""
    codec = QueueCodec()
    for raw in ODD if order != "backward" else ODD[::-1]:
        if order == "alone":
            codec = QueueCodec()
        check(codec, raw)
        check(codec, raw.replace(b'"a": 1', b'"a": 2'))  # the same again, one task changed


@pytest.mark.parametrize("style", FORMATS)
def test_a_first_task_holding_the_separators_bytes_is_still_read_incrementally(style: dict[str, Any]) -> None:
    """The separator is what follows the first whole task, not the first "}, {" in the text."""
    codec = QueueCodec()
    tasks: list[Any] = [{"id": "x", "subtasks": [{"a": "}, {"}, {"b": 2}]}] + [{"id": n} for n in range(100)]
    check(codec, encode({"tasks": tasks}, style))
    tasks.append({"id": "new"})
    check(codec, encode({"tasks": tasks}, style))
    assert (codec.kept, codec.parsed) == (101, 1)
    tasks.insert(50, tasks.pop(0))  # the odd task moved: now among the ones split and looked up
    check(codec, encode({"tasks": tasks}, style))
    assert codec.parsed <= 1


def test_a_queue_appended_to_keeps_every_earlier_task_by_one_compare() -> None:
    codec = QueueCodec()
    tasks: list[Any] = [{"id": n, "status": "completed"} for n in range(300)]
    check(codec, encode({"version": "2.1", "tasks": tasks}, {"indent": 2}))
    assert codec.parsed == 300 and codec.kept == 0
    tasks.append({"id": "new", "status": "pending"})
    check(codec, encode({"version": "2.1", "tasks": tasks}, {"indent": 2}))
    assert (codec.kept, codec.parsed) == (300, 1)
    tasks[-1] = {"id": "new", "status": "orchestrating"}  # the daemon's claim, as the writer read it back
    tasks.append({"id": "newer", "status": "pending"})
    check(codec, encode({"version": "2.1", "tasks": tasks}, {"indent": 2}))
    assert (codec.kept, codec.parsed) == (300, 2)


@pytest.mark.parametrize("seed", range(30))
def test_the_lines_written_are_always_each_tasks_own(seed: int) -> None:
    """Tasks appended, inserted, removed, moved, changed (and said so): every write's lines are
    what encoding each task afresh gives."""
    rng = random.Random(seed)
    codec = QueueCodec()
    tasks: list[Any] = [{"id": n} for n in range(rng.randint(0, 20))]
    for _ in range(40):
        tasks = list(tasks)
        step = rng.randint(0, 5)
        if step == 0 or not tasks:
            tasks.insert(rng.randint(0, len(tasks)), {"id": rng.random()})
        elif step == 1:
            tasks.pop(rng.randrange(len(tasks)))
        elif step == 2:
            tasks.insert(rng.randint(0, len(tasks)), tasks.pop(rng.randrange(len(tasks))))
        elif step == 3:
            rng.shuffle(tasks)
        else:
            changed = rng.sample(tasks, rng.randint(1, min(3, len(tasks))))
            codec.forget(changed)
            for entry in changed:
                entry["n"] = rng.random()
        assert codec.lines(tasks, store_module._lines) == [store_module._one_line(t) for t in tasks]


def test_a_change_that_raises_half_way_leaves_no_changed_task_behind() -> None:
    store = MemoryStore()
    store.put(store.layout.queue, b'{"tasks": [{"id": "a", "n": 1}, {"id": "b", "n": 1}]}')
    assert store.read_queue() is not None

    def change(current: Snapshot) -> bool:
        current.tasks[0]["n"] = 2  # changed, then refused: nothing is written
        raise ValueError("refused")

    with pytest.raises(ValueError):
        store.update_queue(change)
    again = store.read_queue()
    assert again is not None and again.tasks == [{"id": "a", "n": 1}, {"id": "b", "n": 1}]
