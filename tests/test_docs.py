"""The README in step with the code: every event type the daemon writes is documented."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_event_type_is_in_the_readme() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "orchestrator").glob("*.py"))
    emitted = set(re.findall(r'(?:emit|note)\(\s*"([a-z_]+)"', source))
    emitted |= set(re.findall(r'_emit\(plan, "([a-z_]+)"', source))
    emitted |= set(re.findall(r'"(worker_[a-z_]+|zombie_detected)"', source)) & {"zombie_detected"}
    assert len(emitted) > 40
    readme = (ROOT / "README.md").read_text()
    assert sorted(t for t in emitted if f"`{t}`" not in readme) == []
