"""What the HTML deliverables (the report and the review pack) share in their style."""

from __future__ import annotations

__all__ = ["THEME_CSS"]

#: The colours of the report and the review pack, and their box model: one palette for both.
THEME_CSS = """
:root { --ink: #1b1b1b; --muted: #555; --line: #c8ced6; --band: #f2f5f9; --accent: #0b4f8a; }
* { box-sizing: border-box; }"""
