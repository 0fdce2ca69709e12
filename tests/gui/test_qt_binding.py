"""The Qt binding itself must not leak: PySide6 6.12.0 lost a reference to None on every Qt call that
returns nothing, and a tray app running all day would abort (none_dealloc). pyproject excludes it;
this test fails on any binding with that fault."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor


def test_calls_returning_nothing_keep_none_alive() -> None:
    target, colour = QObject(), QColor()
    before = sys.getrefcount(None)
    for _ in range(2_000):
        target.setObjectName("probe")
        colour.setRed(3)
    # A leaking binding drops it by one per call (-4000 here); other threads may move it by a few.
    assert abs(sys.getrefcount(None) - before) < 100
