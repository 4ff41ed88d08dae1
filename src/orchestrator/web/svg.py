"""One orchestration's DAG as an SVG drawn on the server: a column per stage, a box per subtask
coloured by its state, an arrow per dependency. Pure: nodes in, markup out (no script, no library)."""

from __future__ import annotations

from html import escape

from orchestrator.web.digest import Node, age

WIDTH, HEIGHT, GAP_X, GAP_Y, PAD, HEAD = 210, 78, 40, 14, 12, 26


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def dag(nodes: list[Node]) -> str:
    stages: dict[int, list[Node]] = {}
    for node in nodes:
        stages.setdefault(node.stage, []).append(node)
    columns = sorted(stages)
    place: dict[str, tuple[float, float]] = {}
    for column, stage in enumerate(columns):
        for row, node in enumerate(stages[stage]):
            place[node.subtask_id] = PAD + column * (WIDTH + GAP_X), PAD + HEAD + row * (HEIGHT + GAP_Y)
    width = PAD * 2 + len(columns) * WIDTH + max(0, len(columns) - 1) * GAP_X
    height = PAD * 2 + HEAD + max((len(v) for v in stages.values()), default=0) * (HEIGHT + GAP_Y)
    parts = [f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="subtasks by stage">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>']
    for column, stage in enumerate(columns):
        parts.append(f'<text class="stage" x="{PAD + column * (WIDTH + GAP_X)}" y="{PAD + 14}">stage {stage}</text>')
    for node in nodes:
        x2, y2 = place[node.subtask_id]
        for dep in node.dependencies:
            if dep not in place:
                continue
            x1, y1 = place[dep]
            a, b = (x1 + WIDTH, y1 + HEIGHT / 2), (x2, y2 + HEIGHT / 2)
            bend = (b[0] - a[0]) / 2
            parts.append(f'<path class="edge" marker-end="url(#arrow)" d="M{a[0]},{a[1]} C{a[0] + bend},{a[1]} '
                         f'{b[0] - bend},{b[1]} {b[0]},{b[1]}"/>')
    parts.extend(_box(node, *place[node.subtask_id]) for node in nodes)
    parts.append("</svg>")
    return "".join(parts)


def _box(node: Node, x: float, y: float) -> str:
    state = node.status + (f" (reported {node.reported})" if node.reported else "")
    attempt = f" · attempt {node.attempt}" if node.attempt > 1 else ""
    who = f"{node.worker_id} · beat {age(node.heartbeat_age_seconds)} ago" if node.worker_id else "no worker yet"
    tip = "\n".join([node.subtask_id, node.title, f"{node.master}/{node.worker_type}", state + attempt, who,
                     *([f"conditions: {', '.join(node.conditions)}"] if node.conditions else []),
                     *([f"error: {node.error}"] if node.error else [])])
    warn = " warn" if node.conditions or node.reported else ""
    return (f'<g class="node st-{escape(node.status)}{warn}" data-subtask="{escape(node.subtask_id)}" '
            f'data-status="{escape(node.status)}" transform="translate({x},{y})">'
            f"<title>{escape(tip)}</title>"
            f'<rect width="{WIDTH}" height="{HEIGHT}" rx="6"/>'
            f'<text x="10" y="19" class="t">{escape(_short(node.title, 29))}</text>'
            f'<text x="10" y="38">{escape(_short(f"{node.master}/{node.worker_type}", 32))}</text>'
            f'<text x="10" y="56" class="s">{escape(_short(state + attempt, 32))}</text>'
            f'<text x="10" y="71" class="w">{escape(_short(who, 34))}</text></g>')
