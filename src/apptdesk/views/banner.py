"""A strip across the window that says what is going on: an error with Retry, offline, read-only."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget


class Tone(Enum):
    # Translucent tints read on light and dark palettes alike; text keeps the palette's colour.
    ERROR = "rgba(220, 53, 69, 0.18)"
    WARNING = "rgba(255, 170, 0, 0.22)"
    INFO = "rgba(13, 110, 253, 0.16)"


class Banner(QFrame):
    retryClicked = Signal()

    def __init__(self, object_name: str, parent: QWidget | None = None, closable: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._retry = QPushButton("Retry")
        self._retry.setAccessibleName("Retry")
        self._retry.clicked.connect(self._retry_clicked)
        self._on_retry: Callable[[], object] | None = None
        self._close = QPushButton("Dismiss")
        self._close.setAccessibleName("Dismiss message")
        self._close.clicked.connect(self.hide)
        self._close.setVisible(closable)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._retry)
        layout.addWidget(self._close)
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text()

    def show_message(
        self, text: str, tone: Tone = Tone.ERROR, retry: Callable[[], object] | None = None
    ) -> None:
        self._label.setText(text)
        self.setAccessibleName(text)
        self.setStyleSheet(f"#{self.objectName()} {{ background: {tone.value}; border-radius: 4px; }}")
        self._retry.setVisible(retry is not None)
        self._on_retry = retry
        self.show()

    def _retry_clicked(self) -> None:
        self.retryClicked.emit()
        if self._on_retry is not None:
            self._on_retry()
