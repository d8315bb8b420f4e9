"""What ``make docs`` writes: each generated block, the page it sits in, and the architecture picture."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tools.cost.report import readme_table
from tools.diagram.graph import Templates, stage_graph
from tools.diagram.layout import layout
from tools.diagram.svg import render
from tools.docs.alarms import alarm_table
from tools.docs.blocks import with_block
from tools.docs.commands import commands_table
from tools.docs.environments import environment_table
from tools.docs.nag import Acknowledgement, nag_table
from tools.docs.tests_table import folder_table

DIAGRAM = Path("docs/architecture.svg")
DIAGRAM_STAGE = "dev"
"""The stage the picture shows: the one ``make run`` serves."""


@dataclass(frozen=True)
class Sources:
    """What the generated parts are made from."""

    root: Path
    stages: Mapping[str, Templates]
    """``{environment: {stack name: template}}``, in the order tables list environments."""
    acknowledgements: set[Acknowledgement]


BLOCKS: tuple[tuple[Path, str, Callable[[Sources], str]], ...] = (
    (Path("README.md"), "commands", lambda sources: commands_table(sources.root / "Makefile")),
    (Path("README.md"), "cost", lambda sources: readme_table(sources.stages)),
    (Path("docs/safe-delivery.md"), "alarms", lambda sources: alarm_table(sources.stages)),
    (Path("docs/infrastructure.md"), "environments", lambda sources: environment_table(sources.stages)),
    (Path("docs/infrastructure.md"), "cdk-nag", lambda sources: nag_table(sources.acknowledgements)),
    (Path("docs/devloop.md"), "test-directories", lambda sources: folder_table(sources.root)),
)


def architecture_svg(templates: Templates, stage: str = DIAGRAM_STAGE) -> str:
    graph = stage_graph(templates)
    return render(graph, layout(graph), title=f"The {stage} stage: {', '.join(sorted(templates))}")


def generated(sources: Sources) -> dict[Path, str]:
    """``{path relative to the root: its whole generated content}``."""
    pages: dict[Path, str] = {}
    for page, name, make in BLOCKS:
        text = pages.get(page) or (sources.root / page).read_text()
        pages[page] = with_block(text, name, make(sources))
    pages[DIAGRAM] = architecture_svg(sources.stages[DIAGRAM_STAGE])
    return pages
