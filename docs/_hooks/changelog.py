"""MkDocs hook: the changelog page shows the repository's CHANGELOG.md.

CHANGELOG.md lives at the top of the repository, outside ``docs_dir``; this hook swaps
it in for the stub ``docs/changelog.md`` so that there is one file to edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHANGELOG = Path(__file__).resolve().parents[2] / "CHANGELOG.md"


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """Replace the stub page's text with CHANGELOG.md."""
    if page.file.src_uri != "changelog.md":
        return markdown
    return CHANGELOG.read_text(encoding="utf-8")
