"""Walking the clarifying questions of directory.yaml in dialogue tests of every channel."""

from __future__ import annotations

from handlers.domain.directory import Node


def leaf_path(node: Node) -> list[Node]:
    """The nodes from ``node`` down to an answer, always taking the last option (the deepest trees
    of the directory put their sub-questions last)."""
    path = []
    while node.children:
        node = node.children[-1]
        path.append(node)
    return path
