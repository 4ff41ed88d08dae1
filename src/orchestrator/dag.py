"""Dependency graphs of subtasks: validation, stages, critical path. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def validate(nodes: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Every problem in a list of ``(id, dependencies)``; empty when the graph is a valid DAG.

    Reports duplicate ids, unknown and self dependencies, a dependency listed twice, and
    each cycle as its whole path (``a -> b -> c -> a``).
    """
    problems: list[str] = []
    seen: set[str] = set()
    for node_id, _ in nodes:
        if node_id in seen:
            problems.append(f"duplicate subtask id {node_id!r}")
        seen.add(node_id)
    for node_id, deps in nodes:
        listed: set[str] = set()
        for dep in deps:
            if dep == node_id:
                problems.append(f"{node_id!r} depends on itself")
            elif dep not in seen:
                problems.append(f"{node_id!r} depends on unknown subtask {dep!r}")
            elif dep in listed:
                problems.append(f"{node_id!r} lists dependency {dep!r} twice")
            listed.add(dep)
    graph = {node_id: [d for d in deps if d in seen and d != node_id] for node_id, deps in nodes}
    problems.extend(f"dependency cycle: {' -> '.join(cycle)}" for cycle in find_cycles(graph))
    return problems


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each cycle found by depth-first search, as a closed path ``[a, b, c, a]``."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    cycles: list[list[str]] = []
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = [root]
        iterators = [iter(graph.get(root, ()))]
        state[root] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(graph.get(nxt, ())))
    return cycles


def topological_order(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """Nodes of a valid DAG, each after all of its dependencies, ties in ``graph`` order."""
    waiting = {node: len(set(deps)) for node, deps in graph.items()}
    dependents: dict[str, list[str]] = {node: [] for node in graph}
    for node, deps in graph.items():
        for dep in set(deps):
            dependents[dep].append(node)
    order = [node for node, count in waiting.items() if count == 0]
    for node in order:  # grows while we walk it
        for child in dependents[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                order.append(child)
    return order


def stages(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Group a valid DAG into stages: a node sits in the first stage after all its dependencies.

    Within a stage, nodes keep the order of ``graph``.
    """
    level: dict[str, int] = {}
    for node in topological_order(graph):
        level[node] = 1 + max((level[dep] for dep in graph[node]), default=0)
    grouped: list[list[str]] = [[] for _ in range(max(level.values(), default=0))]
    for node in graph:
        grouped[level[node] - 1].append(node)
    return grouped


def critical_path(graph: Mapping[str, Sequence[str]], weight: Mapping[str, float]) -> tuple[list[str], float]:
    """The longest chain by summed ``weight`` (the bottleneck), and its length."""
    best: dict[str, tuple[float, list[str]]] = {}
    for node in topological_order(graph):
        before = max((best[dep] for dep in graph[node]), key=lambda item: item[0], default=(0.0, []))
        best[node] = (before[0] + weight[node], [*before[1], node])
    if not best:
        return [], 0.0
    total, path = max(best.values(), key=lambda item: item[0])
    return path, total



def downstream(graph: Mapping[str, Sequence[str]], node: str) -> set[str]:
    """Every node that depends on ``node``, directly or not."""
    dependents: dict[str, list[str]] = {n: [] for n in graph}
    for n, deps in graph.items():
        for dep in deps:
            dependents[dep].append(n)
    found: set[str] = set()
    todo = [node]
    while todo:
        for child in dependents.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
