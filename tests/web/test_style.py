"""The stylesheet keeps text readable: every colour pair the pages use has a contrast of at least
4.5:1 (WCAG 2.1 AA for normal text), and focus is never hidden."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "bot" / "web" / "static" / "staff.css").read_text(encoding="utf-8")
VARS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", CSS))
WHITE = "#ffffff"


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# (text, background) as the stylesheet pairs them
PAIRS = [("ink", "paper"), ("ink", "soft"), ("ink", "late-paper"), ("muted", "paper"), ("muted", "soft"),
         ("link", "paper"), ("link", "soft"), ("late-ink", "late-paper"), ("late-ink", "paper"), ("ok", "paper"),
         (WHITE, "brand"), (WHITE, "link")]


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_contrast_is_at_least_4_5(text: str, background: str) -> None:
    fg = text if text.startswith("#") else VARS[text]
    ratio = contrast(fg, VARS[background])
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"


def test_focus_is_visible_and_contrasts_with_its_surroundings() -> None:
    assert ":focus-visible {\n  outline: 3px solid var(--focus);" in CSS
    assert "outline: none" not in CSS.replace("main:focus { outline: none; }", "")  # main only: it is no control
    assert contrast(VARS["focus"], VARS["paper"]) >= 3  # non-text contrast (WCAG 1.4.11)
    assert contrast("#ffd166", VARS["brand"]) >= 3  # the header's focus ring
