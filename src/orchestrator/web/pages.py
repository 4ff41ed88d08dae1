"""The page and its panels as HTML. Pure: data in, markup out; every value is escaped.

Each panel is a ``<section>`` the script swaps whole when the folder changes (``/part/NAME``);
the first load is the same markup in one page, so the page reads even without its script.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any
from urllib.parse import urlencode

from orchestrator import events
from orchestrator.models import Plan
from orchestrator.web import svg
from orchestrator.web.digest import QUEUE_GROUPS, Attention, Node, Row, age, command_meaning

QUEUE_PAGE, ORCH_PAGE, EVENT_PAGE = 20, 25, 100
BAD = ("fail", "dead", "zombie", "blocked", "invalid", "stale", "error", "exceeded", "refused", "never", "lost",
       "unreadable", "missing", "aborted")
GOOD = ("completed", "started", "resumed", "recovered", "assigned", "created")


@dataclass(frozen=True)
class View:
    """What the person chose to look at: all of it lives in the address, so a link shows the same."""

    orch: str | None = None
    group: str | None = None
    qpage: int = 0
    opage: int = 0
    types: list[str] = field(default_factory=list)
    eorch: str | None = None

    @classmethod
    def from_query(cls, query: dict[str, str]) -> View:
        def number(name: str) -> int:
            try:
                return max(0, int(query.get(name, "0")))
            except ValueError:
                return 0

        group = query.get("group") or None
        return cls(orch=query.get("orch") or None, group=group if group in QUEUE_GROUPS else None,
                   qpage=number("qpage"), opage=number("opage"),
                   types=[t for t in (query.get("type") or "").replace(" ", ",").split(",") if t],
                   eorch=query.get("eorch") or None)

    def query(self, **changes: Any) -> str:
        view = replace(self, **changes)
        pairs = {"orch": view.orch, "group": view.group, "qpage": view.qpage or None, "opage": view.opage or None,
                 "type": ",".join(view.types) or None, "eorch": view.eorch}
        return "?" + urlencode({k: v for k, v in pairs.items() if v is not None})


def page(folder: str, parts: dict[str, str]) -> str:
    body = "".join(parts[name] for name in ("attention", "queue", "orchestrations", "detail", "events"))
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>orchestrator · {escape(folder)}</title>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            '<link rel=stylesheet href="static/style.css"></head>'
            '<body>'
            f'<header><h1>orchestrator</h1><span class=folder>{escape(folder)}</span>'
            '<span id=live class=live title="live updates from the folder">not live</span></header>'
            f"<main>{body}</main>"
            '<script src="static/app.js"></script></body></html>')


def _section(name: str, title: str, inner: str, extra: str = "") -> str:
    return f'<section id={name} class=panel><h2>{title}{extra}</h2>{inner}</section>'


def _nav(view: View, key: str, number: int, size: int, total: int) -> str:
    pages = max(1, (total + size - 1) // size)
    links = []
    if number > 0:
        links.append(f'<a data-nav href="{escape(view.query(**{key: number - 1}))}">‹ newer</a>')
    links.append(f"<span>page {min(number, pages - 1) + 1} of {pages}</span>")
    if number + 1 < pages:
        links.append(f'<a data-nav href="{escape(view.query(**{key: number + 1}))}">older ›</a>')
    return f'<nav class=pager>{" ".join(links)}</nav>'


def _commands(commands: list[str], folder: str) -> str:
    suffix = f" --coordination-dir {folder}"
    return "".join(f'<div class=cmd>{_meaning(c)}<code>{escape(c + suffix)}</code>'
                   f'<button type=button class=copy data-copy="{escape(c + suffix)}">copy</button></div>'
                   for c in commands)


def _meaning(command: str) -> str:
    meaning = command_meaning(command)
    return f"<span class=meaning>{escape(meaning)}:</span>" if meaning else ""


def attention_part(items: list[Attention], daemon_running: bool, folder: str, view: View) -> str:
    badge = ('<span class="badge ok">daemon running</span>' if daemon_running
             else '<span class="badge bad">no daemon running</span>')
    if not items:
        return _section("attention", "What is stuck, and why?", "<p class=calm>Nothing is stuck.</p>", badge)
    rows = []
    for item in items:
        link = (f' <a data-nav data-orch="{escape(item.orchestration_id)}" '
                f'href="{escape(view.query(orch=item.orchestration_id))}">show</a>' if item.orchestration_id else "")
        details = "".join(f"<li>{escape(d)}</li>" for d in item.details)
        rows.append(f'<li class="item k-{escape(item.kind)}"><span class=kind>{escape(item.kind)}</span> '
                    f"<b>{escape(item.subject)}</b>{link}<div class=reason>{escape(item.reason)}</div>"
                    f"{f'<ul class=details>{details}</ul>' if details else ''}{_commands(item.commands, folder)}</li>")
    return _section("attention", f"What is stuck, and why? <small>({len(items)})</small>",
                    f'<ol class=attention>{"".join(rows)}</ol>', badge)


def queue_part(counts: dict[str, int], tasks: list[dict[str, Any]], total: int, view: View, problem: str | None) -> str:
    tiles = [f'<a data-nav class="tile g-{escape(name)}{" on" if view.group == name else ""}" '
             f'href="{escape(view.query(group=None if view.group == name else name, qpage=0))}">'
             f'<b>{n}</b><span>{escape(name)}</span></a>' for name, n in counts.items()]
    rows = "".join(
        f'<tr data-task="{escape(str(t.get("id")))}"><td class=mono>{escape(str(t.get("id")))}</td>'
        f'<td><span class="pill s-{escape(str(t.get("status")))}">{escape(str(t.get("status")))}</span></td>'
        f'<td>{escape(str(t.get("assigned_to") or t.get("orchestration_id") or ""))}</td>'
        f'<td>{escape(str(t.get("title") or ""))}</td></tr>' for t in tasks)
    table = (f"<table><thead><tr><th>task</th><th>status</th><th>handled by</th><th>title</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>" if tasks else "<p class=calm>No tasks.</p>")
    warn = f"<p class=problem>{escape(problem)}</p>" if problem else ""
    return _section("queue", f"Queue <small>({sum(counts.values())} tasks)</small>",
                    f'{warn}<div class=tiles>{"".join(tiles)}</div>{table}{_nav(view, "qpage", view.qpage, QUEUE_PAGE, total)}')


def _bar(percent: int) -> str:
    return f'<span class=bar title="{percent}%"><span style="width:{percent}%"></span></span>'


def _eta(minutes: int | None, status: str) -> str:
    if minutes is None:
        return "-" if status != "blocked" else "waits for a person"
    if minutes == 0:
        return "overdue"  # the estimates are used up, as ``status`` says it
    return f"~{minutes} min" if minutes < 120 else f"~{minutes / 60:.1f} h"


def _health_pill(health: str) -> str:
    """A plan's health; none for a plan that is over (registry.health)."""
    return f'<span class="pill h-{escape(health)}">{escape(health)}</span>' if health else ""


def orchestrations_part(rows: list[Row], total: int, live: int, view: View) -> str:
    body = "".join(
        f'<tr data-orch="{escape(r.orchestration_id)}" class="{"on" if r.orchestration_id == view.orch else ""}">'
        f'<td><a data-nav data-orch="{escape(r.orchestration_id)}" href="{escape(view.query(orch=r.orchestration_id))}">'
        f"{escape(r.title)}</a><div class=mono>{escape(r.orchestration_id)}</div></td>"
        f'<td><span class="pill s-{escape(r.status)}">{escape(r.status)}</span></td>'
        f"<td>{_health_pill(r.health)}</td>"
        f"<td>{r.stage}/{r.stages}</td><td>{_bar(r.percent)} {r.percent}%</td>"
        f"<td>{escape(_eta(r.eta_minutes, r.status))}</td></tr>"
        for r in rows)
    table = (f"<table><thead><tr><th>orchestration</th><th>status</th><th>health</th><th>stage</th><th>progress</th>"
             f"<th>ETA</th></tr></thead><tbody>{body}</tbody></table>" if rows else "<p class=calm>No orchestrations.</p>")
    return _section("orchestrations", f"Orchestrations <small>({live} live, {total} in all)</small>",
                    table + _nav(view, "opage", view.opage, ORCH_PAGE, total))


def detail_part(plan: Plan | None, row: Row | None, nodes: list[Node], trouble: list[Attention], folder: str) -> str:
    if plan is None or row is None:
        return _section("detail", "Orchestration", "<p class=calm>Choose an orchestration.</p>")
    head = (f'<p><b>{escape(plan.task_title)}</b> <span class="pill s-{escape(plan.status)}">{escape(plan.status)}</span> '
            f"{_health_pill(row.health)} stage {row.stage}/{row.stages} "
            f"{_bar(row.percent)} {row.percent}% · ETA {escape(_eta(row.eta_minutes, row.status))} · "
            f"planned by {escape(plan.planner)}</p>")
    blocked = "".join(f'<div class=blocked><b>{escape(t.subject)}</b><div class=reason>{escape(t.reason)}</div>'
                      f"{_commands(t.commands, folder)}</div>" for t in trouble if t.kind == "escalation")
    rows = "".join(
        f'<tr data-subtask="{escape(n.subtask_id)}"><td>{n.stage}</td><td>{escape(n.title)}'
        f"<div class=mono>{escape(n.subtask_id)}</div></td>"
        f'<td><span class="pill s-{escape(n.status)}">{escape(n.status)}</span>'
        f'{f" <small>reported {escape(n.reported)}</small>" if n.reported else ""}'
        f'{"".join(f" <span class=cond>{escape(c)}</span>" for c in n.conditions)}</td>'
        f"<td>{escape(n.master)}/{escape(n.worker_type)}</td><td class=mono>{escape(n.worker_id or '-')}</td>"
        f"<td>{n.attempt}</td><td>{escape(age(n.heartbeat_age_seconds))}{' ago' if n.last_heartbeat else ''}</td>"
        f"<td>{escape(n.progress or n.error or '')}</td></tr>" for n in nodes)
    table = ("<table><thead><tr><th>stage</th><th>subtask</th><th>state</th><th>master</th><th>worker</th>"
             f"<th>attempt</th><th>last heartbeat</th><th>progress / error</th></tr></thead><tbody>{rows}</tbody></table>")
    return _section("detail", f'Orchestration <small class=mono>{escape(plan.orchestration_id)}</small>',
                    f'{head}{blocked}<div class=dag-wrap>{svg.dag(nodes)}</div>{table}',
                    f' <span hidden id=detail-id data-orch="{escape(plan.orchestration_id)}"></span>')


def kind(event_type: str) -> str:
    return "bad" if any(w in event_type for w in BAD) else "good" if any(w in event_type for w in GOOD) else "plain"


def event_row(event: dict[str, Any]) -> str:
    kind_ = kind(str(event.get("type", "")))
    return (f'<li class="ev {kind_}" data-type="{escape(str(event.get("type", "")))}" '
            f'data-orch="{escape(str(event.get("orchestration_id") or ""))}">{escape(events.render(event))}</li>')


def events_part(rows: list[dict[str, Any]], older: int | None, end: int, view: View, known: list[str]) -> str:
    """Newest first; the script adds new lines at the top and asks for older pages at the bottom."""
    options = "".join(f"<option value=\"{escape(o)}\"></option>" for o in known)
    seen = sorted({str(e.get("type")) for e in rows if e.get("type")})
    types = "".join(f"<option value=\"{escape(t)}\"></option>" for t in seen)
    form = (f'<form id=event-filter method=get><input type=hidden name=orch value="{escape(view.orch or "")}">'
            f'<label>type <input name=type list=event-types value="{escape(",".join(view.types))}" '
            'placeholder="any (comma-separated)"></label>'
            f'<label>orchestration <input name=eorch list=orch-ids value="{escape(view.eorch or "")}" placeholder="any">'
            f"</label><datalist id=orch-ids>{options}</datalist><datalist id=event-types>{types}</datalist>"
            "<button>filter</button></form>")
    items = "".join(event_row(e) for e in reversed(rows))
    more = (f'<button type=button id=older data-older="{older}">older lines</button>' if older is not None
            else "<p class=calm>start of the file</p>")
    state = json.dumps({"end": end, "types": view.types, "orchestration": view.eorch})
    return _section("events", "Events <small>(newest first, live)</small>",
                    f"{form}<ol id=event-list data-stream='{escape(state)}'>{items}</ol>{more}")
