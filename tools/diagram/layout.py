"""Columns for the graph: a resource stands left of what it uses, each column ordered to keep edges short.

Deterministic by construction: every choice is made in a sorted order, so one graph gives one layout.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tools.diagram.graph import DRAWN_TYPES, Graph, Node

SWEEPS = 4
"""Passes of barycentre ordering; the layout settles within a few."""


@dataclass(frozen=True)
class Layout:
    columns: tuple[tuple[Node, ...], ...]
    """Left to right; each column top to bottom."""
    back_edges: frozenset[tuple[str, str]]
    """Edges left out of the layering because they close a cycle (drawn all the same)."""


def _order_key(node: Node) -> tuple[int, tuple[str, ...]]:
    return (DRAWN_TYPES.index(node.type), node.names)


def _back_edges(graph: Graph, successors: dict[str, list[str]]) -> set[tuple[str, str]]:
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}

    def visit(node_id: str) -> None:
        state[node_id] = 1
        for target in successors[node_id]:
            if state.get(target) == 1:
                back.add((node_id, target))
            elif target not in state:
                visit(target)
        state[node_id] = 2

    for node in sorted(graph.nodes, key=_order_key):
        if node.id not in state:
            visit(node.id)
    return back


def layout(graph: Graph) -> Layout:
    successors: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        successors[edge.source].append(edge.target)
    for targets in successors.values():
        targets.sort()
    back = _back_edges(graph, successors)
    predecessors: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if (edge.source, edge.target) not in back:
            predecessors[edge.target].append(edge.source)
    column: dict[str, int] = {}

    def column_of(node_id: str) -> int:
        if node_id not in column:
            column[node_id] = max((column_of(source) + 1 for source in predecessors[node_id]), default=0)
        return column[node_id]

    by_column: dict[int, list[Node]] = defaultdict(list)
    for node in sorted(graph.nodes, key=_order_key):
        by_column[column_of(node.id)].append(node)
    columns = [by_column[index] for index in range(max(by_column) + 1)]
    neighbours: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        neighbours[edge.source].append(edge.target)
        neighbours[edge.target].append(edge.source)
    for _ in range(SWEEPS):
        position = {node.id: float(index) for nodes in columns for index, node in enumerate(nodes)}
        for nodes in columns:
            nodes.sort(
                key=lambda node: (
                    _barycentre([position[other] for other in neighbours[node.id]], position[node.id]),
                    _order_key(node),
                )
            )
            position.update({node.id: float(index) for index, node in enumerate(nodes)})
    return Layout(columns=tuple(tuple(nodes) for nodes in columns), back_edges=frozenset(back))


def _barycentre(positions: list[float], own: float) -> float:
    return sum(positions) / len(positions) if positions else own
