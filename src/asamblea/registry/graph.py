"""The picture of an organisation's structure: an inline SVG drawn on the server.

Bodies are placed in columns from the base (left) upwards (right): a body's column is one more
than the highest column of the bodies that send it seats, so units, regional assemblies and the
committees or national assembly they feed line up whatever the graph. Base units are drawn as one
box per region (with their count) so the picture stays small with thousands of units; each box
links to the list of those units. Columns read left to right, so a phone scrolls down, not sideways.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

NODE_W = 114
LINE_H = 13
NODE_H = 4 * LINE_H + 8  # two lines of name, two of detail
GAP_X = 22
GAP_Y = 8
PAD = 4
LINE_CHARS = 17
SCALE = 1.2


@dataclass
class Node:
    key: str
    title: str
    detail: list[str]
    href: str
    css: str  # "g" (group of base units), "a" (assembly), "c" (committee), "u" (single unit)
    sort_key: str = ""
    column: int = 0
    row: int = 0
    x: float = 0.0
    y: float = 0.0
    senders: list[str] = field(default_factory=list)


def _wrap(text: str, width: int = LINE_CHARS, lines: int = 2) -> list[str]:
    """Break a name into at most ``lines`` lines of ``width`` characters, ending in … if cut."""
    words = text.split()
    out: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = word
        if len(out) == lines:
            break
    if current and len(out) < lines:
        out.append(current)
    consumed = " ".join(out)
    if len(consumed) < len(" ".join(words)) or any(len(line) > width for line in out):
        last = out[-1] if out else ""
        out[-1:] = [last[: width - 1].rstrip() + "…"]
    return out[:lines]


def layout(nodes: dict[str, Node], edges: dict[tuple[str, str], int]) -> None:
    """Assign columns (longest path from the base) and rows (ordered by the senders' rows)."""
    for (src, dst), _seats in edges.items():
        nodes[dst].senders.append(src)
    for node in nodes.values():
        node.column = 0 if node.css in {"g", "u"} else 1
    # Longest path; the bound stops a (malformed) cycle from looping for ever.
    for _ in range(len(nodes)):
        changed = False
        for node in nodes.values():
            if node.senders:
                col = max(nodes[s].column for s in node.senders) + 1
                if col > node.column:
                    node.column = col
                    changed = True
        if not changed:
            break
    columns: dict[int, list[Node]] = defaultdict(list)
    for node in nodes.values():
        columns[node.column].append(node)
    for col in sorted(columns):
        members = columns[col]

        def order(n: Node, col: int = col) -> tuple[float, str]:
            # Barycentre of the senders already placed: boxes sit level with what feeds them.
            rows = [nodes[s].row for s in n.senders if nodes[s].column < col]
            return (sum(rows) / len(rows) if rows else -1.0, n.sort_key or n.title)

        members.sort(key=order)
        for row, node in enumerate(members):
            node.row = row
    tallest = max((len(c) for c in columns.values()), default=0)
    for col, members in columns.items():
        offset = (tallest - len(members)) * (NODE_H + GAP_Y) / 2
        for node in members:
            node.x = PAD + col * (NODE_W + GAP_X)
            node.y = PAD + offset + node.row * (NODE_H + GAP_Y)


def render_svg(
    nodes: dict[str, Node],
    edges: dict[tuple[str, str], int],
    *,
    title: str,
    seats_label: Callable[[int], str],
) -> str:
    """The SVG markup (escaped) for ``nodes`` and ``edges`` (seats per edge)."""
    if not nodes:
        return ""
    layout(nodes, edges)
    width = max(n.x for n in nodes.values()) + NODE_W + PAD
    height = max(n.y for n in nodes.values()) + NODE_H + PAD
    # Drawn at SCALE: the smallest text (10 units) is 12 px on any screen; a narrow screen scrolls
    # the figure sideways, never the page.
    parts = [
        f'<svg class="graph" width="{width * SCALE:.0f}" height="{height * SCALE:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    # Each link leaves and enters its boxes at its own height, so links and their seat counts
    # do not sit on top of each other.
    outs: dict[str, list[str]] = defaultdict(list)
    ins: dict[str, list[str]] = defaultdict(list)
    for src, dst in sorted(edges, key=lambda e: (nodes[e[1]].y, nodes[e[0]].y)):
        outs[src].append(dst)
        ins[dst].append(src)

    def port(node: Node, others: list[str], other: str) -> float:
        return node.y + NODE_H * (others.index(other) + 1) / (len(others) + 1)

    labels = []
    for (src, dst), seats in sorted(edges.items()):
        a, b = nodes[src], nodes[dst]
        x1, y1 = a.x + NODE_W, port(a, outs[src], dst)
        x2, y2 = b.x, port(b, ins[dst], src)
        mx = (x1 + x2) / 2
        parts.append(
            f'<path class="e" d="M{x1:.0f} {y1:.0f}C{mx:.0f} {y1:.0f} {mx:.0f} {y2:.0f} {x2:.0f} {y2:.0f}"/>'
        )
        if seats:
            # Near the sender: a sender has few links, a receiver may have many.
            labels.append(
                f'<text class="n" x="{x1 + 3:.0f}" y="{y1 - 2:.0f}">{seats}'
                f"<title>{escape(seats_label(seats))}</title></text>"
            )
    for node in nodes.values():
        # Four lines per box: the name takes those the detail leaves free.
        lines = [(line, "") for line in _wrap(node.title, lines=4 - len(node.detail[:2]))]
        lines += [(line, ' class="d"') for line in node.detail[:2]]
        text = "".join(
            f'<text{css} x="{node.x + 5:.0f}" y="{node.y + 13 + i * LINE_H:.0f}">{escape(line)}</text>'
            for i, (line, css) in enumerate(lines)
        )
        parts.append(
            f'<a href="{escape(node.href)}"><title>{escape(node.title)}</title>'
            f'<rect class="{node.css}" x="{node.x:.0f}" y="{node.y:.0f}" width="{NODE_W}" '
            f'height="{NODE_H}" rx="4"/>{text}</a>'
        )
    parts.extend(labels)
    parts.append("</svg>")
    return "".join(parts)
