"""The laid-out graph as a standalone SVG document: boxes per column, curved arrows, a legend."""

from __future__ import annotations

from xml.sax.saxutils import escape

from tools.diagram.graph import Graph, Node
from tools.diagram.layout import Layout

BOX_WIDTH = 250
COLUMN_GAP = 110
ROW_GAP = 22
LINE = 15
MARGIN = 30
TITLE_HEIGHT = 50
LEGEND_LINE = 18
COLOURS = {
    "ApiGatewayV2": "#ede7f6",
    "Cognito": "#fde0dc",
    "Lambda": "#fff0d9",
    "CodeDeploy": "#e3f4e1",
    "DynamoDB": "#deebff",
    "SecretsManager": "#fbe3ef",
    "CloudWatch": "#fce8f3",
    "SNS": "#f3e5d8",
    "SQS": "#f3e5d8",
}
"""Fill per AWS service; a service not listed is drawn white."""


def _height(node: Node) -> int:
    return 12 + LINE * (1 + len(node.names))


def render(graph: Graph, layout: Layout, *, title: str) -> str:
    boxes: dict[str, tuple[int, int, int]] = {}
    column_heights = [
        sum(_height(node) for node in nodes) + ROW_GAP * (len(nodes) - 1) for nodes in layout.columns
    ]
    tallest = max(column_heights)
    for index, nodes in enumerate(layout.columns):
        x = MARGIN + index * (BOX_WIDTH + COLUMN_GAP)
        y = MARGIN + TITLE_HEIGHT + (tallest - column_heights[index]) // 2
        for node in nodes:
            boxes[node.id] = (x, y, _height(node))
            y += _height(node) + ROW_GAP
    stacks = sorted({node.stack for node in graph.nodes})
    width = MARGIN * 2 + len(layout.columns) * BOX_WIDTH + (len(layout.columns) - 1) * COLUMN_GAP
    height = MARGIN * 2 + TITLE_HEIGHT + tallest + LEGEND_LINE * (len(stacks) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker>',
        "</defs>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 16}" font-size="16" font-weight="bold">{escape(title)}</text>',
        f'<text x="{MARGIN}" y="{MARGIN + 34}" fill="#555">An arrow points from a resource to what it refers '
        "to or may call (labels: the AWS services its IAM policy grants). Written by make docs from the "
        "synthesized templates.</text>",
    ]
    parts.extend(_edge(boxes, edge.source, edge.target, edge.label) for edge in graph.edges)
    dashed = stacks[0] if len(stacks) > 1 else None
    for node in graph.nodes:
        x, y, box_height = boxes[node.id]
        fill = COLOURS.get(node.service, "#ffffff")
        dash = ' stroke-dasharray="5 3"' if node.stack == dashed else ""
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{box_height}" rx="6" fill="{fill}" '
            f'stroke="#444"{dash}/>'
        )
        parts.append(f'<text x="{x + 8}" y="{y + 6 + LINE}" font-weight="bold">{escape(node.kind)}</text>')
        parts.extend(
            f'<text x="{x + 8}" y="{y + 6 + LINE * (line + 2)}">{escape(name)}</text>'
            for line, name in enumerate(node.names)
        )
    legend_y = MARGIN + TITLE_HEIGHT + tallest + LEGEND_LINE
    for index, stack in enumerate(stacks):
        y = legend_y + index * LEGEND_LINE
        dash = ' stroke-dasharray="5 3"' if stack == dashed else ""
        parts.append(
            f'<rect x="{MARGIN}" y="{y - 10}" width="24" height="12" fill="#ffffff" stroke="#444"{dash}/>'
        )
        parts.append(f'<text x="{MARGIN + 32}" y="{y}">stack {escape(stack)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _edge(boxes: dict[str, tuple[int, int, int]], source: str, target: str, label: str) -> str:
    """A curve from the side of ``source`` facing ``target`` into ``target``; within one column, a loop
    out of the right-hand sides."""
    sx, sy, sh = boxes[source]
    tx, ty, th = boxes[target]
    y1, y2 = sy + sh // 2, ty + th // 2
    if tx > sx:
        x1, c1, x2, c2 = sx + BOX_WIDTH, sx + BOX_WIDTH + 50, tx, tx - 50
    elif tx < sx:
        x1, c1, x2, c2 = sx, sx - 50, tx + BOX_WIDTH, tx + BOX_WIDTH + 50
    else:
        x1, c1, x2, c2 = sx + BOX_WIDTH, sx + BOX_WIDTH + 60, tx + BOX_WIDTH, tx + BOX_WIDTH + 60
    drawn = (
        f'<path d="M {x1} {y1} C {c1} {y1}, {c2} {y2}, {x2} {y2}" fill="none" stroke="#777" '
        'stroke-width="1.2" marker-end="url(#arrow)"/>'
    )
    if not label:
        return drawn
    return (
        f'{drawn}\n<text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 3}" text-anchor="middle" fill="#333" '
        f'font-size="10">{escape(label)}</text>'
    )
