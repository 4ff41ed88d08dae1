"""The README in step with the code: every event type the daemon writes is documented, and the plans
it shows are what the planner prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_every_event_type_is_in_the_readme() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "orchestrator").glob("*.py"))
    emitted = set(re.findall(r'(?:emit|note)\(\s*"([a-z_]+)"', source))
    emitted |= set(re.findall(r'_emit\(plan, "([a-z_]+)"', source))
    emitted |= set(re.findall(r'"(worker_[a-z_]+|zombie_detected)"', source)) & {"zombie_detected"}
    assert len(emitted) > 40
    readme = (ROOT / "README.md").read_text()
    assert sorted(t for t in emitted if f"`{t}`" not in readme) == []


def _plan_blocks() -> list[tuple[str, str]]:
    """The README's "Plans, as the built-in planner makes them": each ``$ orchestrator plan ...`` block
    with what it printed."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### Plans, as the built-in planner makes them")
    section = readme[start: readme.index("**External planner.**", start)]
    return re.findall(r"```console\n\$ (orchestrator plan [^\n]+)\n(.*?)\n```", section, re.DOTALL)


def test_the_readme_shows_plans_for_the_seeds_examples_and_five_more() -> None:
    commands = [command for command, _ in _plan_blocks()]
    assert len(commands) >= 12  # the seed's three simple, three complex and worked example; five of our own
    for title in ("Scan repository for security vulnerabilities",
                  "Add authentication system with security audit and docs",
                  "Refactor API layer, update tests, and deploy",
                  "Build new feature: design → implement → test → audit → document",
                  "Add authentication system with security audit and documentation"):
        assert any(title in command for command in commands), title


def _dry_runs() -> list[tuple[str, str]]:
    """Every ``$ orchestrator plan --dry-run ...`` in the README's console blocks (the walk-through's too),
    with what it printed: the lines up to the next ``$`` command or the end of the block."""
    readme = (ROOT / "README.md").read_text()
    found = []
    for block in re.findall(r"```console\n(.*?)\n```", readme, re.DOTALL):
        for command, output in re.findall(r"^\$ ([^\n]+)\n(.*?)(?=^\$ |\Z)", block + "\n", re.DOTALL | re.MULTILINE):
            if command.startswith("orchestrator plan --dry-run"):
                found.append((command, output.rstrip()))
    return found


def test_every_dry_run_in_the_readme_is_checked() -> None:
    assert set(_plan_blocks()) <= set(_dry_runs())  # the plans section is found both ways
    assert len(_dry_runs()) > len(_plan_blocks())  # and the walk-through's dry runs are among them


def test_the_readmes_plans_are_what_the_planner_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from orchestrator.cli import main

    monkeypatch.setenv("ORCHESTRATOR_COORDINATION_DIR", str(tmp_path / "coordination"))  # no configuration
    for command, shown in _dry_runs():
        argv = shlex.split(command)
        assert argv[:3] == ["orchestrator", "plan", "--dry-run"], command
        assert main(argv[1:]) == 0
        printed = capsys.readouterr().out.rstrip()
        assert printed == shown, f"README is out of date for: {command}\n(regenerate the block from this output)\n{printed}"


def test_the_shipped_schemas_are_what_the_models_produce(capsys: pytest.CaptureFixture[str]) -> None:
    """``docs/schemas/`` is for reading without installing; regenerate it with the command in its README."""
    from orchestrator.cli import SCHEMAS, main

    shipped = ROOT / "docs" / "schemas"
    assert sorted(p.stem for p in shipped.glob("*.json")) == sorted(SCHEMAS)
    for name in SCHEMAS:
        assert main(["schema", name]) == 0
        assert (shipped / f"{name}.json").read_text() == capsys.readouterr().out, (
            f"docs/schemas/{name}.json is out of date: orchestrator schema {name} > docs/schemas/{name}.json")


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes of a file's headings (those outside code blocks)."""
    anchors: set[str] = set()
    fence = ""
    for line in markdown.splitlines():
        if fence and line.startswith(fence) and line.strip() == fence:
            fence = ""
        elif not fence and (found := re.match(r"^(`{3,})", line)):
            fence = found.group(1)
        elif not fence and (heading := re.match(r"^#{1,6} (.+)", line)):
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            anchor, n = slug, 0
            while anchor in anchors:
                n += 1
                anchor = f"{slug}-{n}"
            anchors.add(anchor)
    return anchors


def test_every_link_in_the_readme_and_docs_leads_somewhere() -> None:
    """A section moved or renamed leaves no link to nowhere: files exist and each ``#anchor`` is a heading."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text()
        prose = re.sub(r"^(`{3,}).*?^\1\s*$", "", text, flags=re.MULTILINE | re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
