"""Dependency validation and staging, with property-based checks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import dag


def test_valid_graph_has_no_problems() -> None:
    assert dag.validate([("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["b", "c"])]) == []


def test_each_kind_of_problem_is_named() -> None:
    problems = dag.validate([("a", ["a"]), ("b", ["x"]), ("c", ["b", "b"]), ("c", [])])
    assert "duplicate subtask id 'c'" in problems
    assert "'a' depends on itself" in problems
    assert "'b' depends on unknown subtask 'x'" in problems
    assert "'c' lists dependency 'b' twice" in problems


def test_cycle_error_names_the_whole_cycle() -> None:
    problems = dag.validate([("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", [])])
    assert problems == ["dependency cycle: a -> c -> b -> a"]


def test_stages_put_each_node_after_all_its_dependencies() -> None:
    graph = {"design": [], "backend": ["design"], "frontend": ["design"], "tests": ["backend", "frontend"],
             "audit": ["tests"], "docs": ["audit"]}
    assert dag.stages(graph) == [["design"], ["backend", "frontend"], ["tests"], ["audit"], ["docs"]]


def test_critical_path_follows_the_longest_chain() -> None:
    graph = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    path, length = dag.critical_path(graph, {"a": 10, "b": 5, "c": 20, "d": 1})
    assert (path, length) == (["a", "c", "d"], 31)


@st.composite
def dags(draw: st.DrawFn) -> dict[str, list[str]]:
    size = draw(st.integers(1, 25))
    names = [f"n{i}" for i in range(size)]
    return {name: sorted(set(draw(st.lists(st.sampled_from(names[:i]), max_size=4)))) if i else []
            for i, name in enumerate(names)}


@given(dags())
@settings(max_examples=200, deadline=None)
def test_stages_of_any_dag_respect_dependencies(graph: dict[str, list[str]]) -> None:
    assert dag.validate(list(graph.items())) == []
    layered = dag.stages(graph)
    stage_of = {node: number for number, stage in enumerate(layered) for node in stage}
    assert sorted(stage_of) == sorted(graph)  # every node exactly once
    for node, deps in graph.items():
        assert all(stage_of[dep] < stage_of[node] for dep in deps)
        # first stage after all dependencies: not later than needed
        assert stage_of[node] == (max((stage_of[d] for d in deps), default=-1) + 1)


def _depends_on(graph: dict[str, list[str]], node: str, target: str) -> bool:
    todo, seen = [node], set()
    while todo:
        for dep in graph[todo.pop()]:
            if dep == target:
                return True
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return False


@given(dags(), st.data())
@settings(max_examples=200, deadline=None)
def test_cycles_are_found_exactly_when_they_exist(graph: dict[str, list[str]], data: st.DataObject) -> None:
    nodes = list(graph)
    low, high = data.draw(st.sampled_from(nodes)), data.draw(st.sampled_from(nodes))
    if low != high and high not in graph[low]:
        graph[low] = [*graph[low], high]  # a new edge that may close a cycle
    has_cycle = any(_depends_on(graph, n, n) for n in graph)
    cycles = dag.find_cycles(graph)
    assert bool(cycles) == has_cycle
    for cycle in cycles:
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in zip(cycle, cycle[1:], strict=False))
    assert bool(cycles) == any(p.startswith("dependency cycle") for p in dag.validate(list(graph.items())))


def test_a_self_dependency_is_named_once_not_also_as_a_cycle() -> None:
    assert dag.validate([("a", ["a"]), ("b", ["a"])]) == ["'a' depends on itself"]


def test_every_cycle_is_found_once_wherever_it_is() -> None:
    # the cycle is reached only after a node that was already walked, and from two places
    problems = dag.validate([("a", ["b"]), ("b", []), ("x", ["c"]), ("y", ["c"]), ("c", ["d"]), ("d", ["c"])])
    assert problems == ["dependency cycle: c -> d -> c"]
    assert dag.find_cycles({"a": ["b"], "b": [], "c": ["d"], "d": ["c"]}) == [["c", "d", "c"]]


def test_a_dependency_outside_the_graph_is_no_cycle() -> None:
    assert dag.find_cycles({"a": ["outside"], "b": ["a"]}) == []


def test_an_empty_graph_has_no_stages_and_no_critical_path() -> None:
    assert dag.stages({}) == []
    assert dag.critical_path({}, {}) == ([], 0.0)


def test_the_critical_path_is_the_heaviest_chain_not_the_first_by_name() -> None:
    graph = {"a": [], "b": [], "c": ["a", "b"]}
    assert dag.critical_path(graph, {"a": 10, "b": 1, "c": 1}) == (["a", "c"], 11)
    assert dag.critical_path({"a": [], "b": []}, {"a": 10, "b": 1}) == (["a"], 10)


def test_downstream_follows_dependencies_all_the_way() -> None:
    graph = {"a": [], "b": ["a"], "c": ["b"], "d": ["c", "a"], "e": []}
    assert dag.downstream(graph, "a") == {"b", "c", "d"}
    assert dag.downstream(graph, "e") == set()
    assert dag.downstream(graph, "not-a-node") == set()
