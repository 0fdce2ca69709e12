"""The notifications panel: the user's notifications, newest first, unread ones bold with a dot.

It does no I/O. The caller loads notifications into it (``set_notifications``, ``add_notification`` for
one pushed by the server), reacts to ``opened`` (mark that one read on the server, open the appointment,
then ``mark_read_locally``) and to ``markAllRead`` (tell the server, then ``mark_all_read_locally``).

Keyboard: Tab reaches the Mark all read button and the list; in the list, arrows move and Enter opens;
Escape asks the caller to close the panel (``closeRequested``) when it is shown as a pop-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStackedLayout,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionFocusRect,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from apptdesk.api import Notification
from apptdesk.models.notifications import NotificationsModel
from apptdesk.models.rows import ObjectRole
from apptdesk.models.unread import UnreadCounter

EMPTY_TEXT = "No notifications."
PAD_X, PAD_Y, LINE_GAP, DOT = 10, 7, 2, 8


def secondary_text(palette: QPalette, group: QPalette.ColorGroup = QPalette.ColorGroup.Active) -> QColor:
    """Text colour for the second line: between text and background, still well above 4.5:1."""
    text = palette.color(group, QPalette.ColorRole.Text)
    base = palette.color(group, QPalette.ColorRole.Base)
    mix = 0.72
    return QColor(
        round(text.red() * mix + base.red() * (1 - mix)),
        round(text.green() * mix + base.green() * (1 - mix)),
        round(text.blue() * mix + base.blue() * (1 - mix)),
    )


class NotificationDelegate(QStyledItemDelegate):
    """Two lines per notification: ● title / details ... time."""

    def _fonts(self, option: QStyleOptionViewItem, unread: bool) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setBold(unread)
        body = QFont(option.font)
        body.setBold(False)  # the model's font for unread rows is bold: only the title should be
        return title, body

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        title, body = self._fonts(option, True)
        height = PAD_Y * 2 + QFontMetrics(title).height() + LINE_GAP + QFontMetrics(body).height()
        return QSize(max(200, option.rect.width()), height)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        notification = index.data(ObjectRole)
        if not isinstance(notification, Notification):
            super().paint(painter, option, index)
            return
        model = index.model()
        time_text = str(model.index(index.row(), NotificationsModel.COL_TIME).data() or "")
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        rect: QRect = opt.rect
        state = opt.state
        palette: QPalette = opt.palette
        painter.save()
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)
        selected = bool(state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorGroup.Active
            if state & QStyle.StateFlag.State_Active
            else QPalette.ColorGroup.Inactive
        )
        if selected:
            main = palette.color(group, QPalette.ColorRole.HighlightedText)
            second = main
            accent = main
        else:
            main = palette.color(group, QPalette.ColorRole.Text)
            second = secondary_text(palette, group)
            accent = palette.color(group, QPalette.ColorRole.Highlight)

        unread = not notification.read
        title_font, body_font = self._fonts(opt, unread)
        title_metrics, body_metrics = QFontMetrics(title_font), QFontMetrics(body_font)
        left = rect.left() + PAD_X + DOT + 8
        right = rect.right() - PAD_X
        top = rect.top() + PAD_Y
        if unread:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            dot_y = top + (title_metrics.height() - DOT) // 2
            painter.drawEllipse(rect.left() + PAD_X, dot_y, DOT, DOT)

        # Line 1: the title, the whole width (it names the case and what happened).
        painter.setFont(title_font)
        painter.setPen(main)
        title_room = max(0, right - left)
        title = title_metrics.elidedText(notification.title, Qt.TextElideMode.ElideRight, title_room)
        title_rect = QRect(left, top, title_room, title_metrics.height())
        painter.drawText(title_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)

        # Line 2: the details, and the time at the right.
        painter.setFont(body_font)
        painter.setPen(second)
        body_top = top + title_metrics.height() + LINE_GAP
        time_width = body_metrics.horizontalAdvance(time_text)
        time_rect = QRect(right - time_width, body_top, time_width, body_metrics.height())
        painter.drawText(
            time_rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), time_text
        )
        body_room = max(0, right - time_width - 12 - left)
        body = body_metrics.elidedText(
            " ".join(notification.body.split()), Qt.TextElideMode.ElideRight, body_room
        )
        body_rect = QRect(left, body_top, body_room, body_metrics.height())
        painter.drawText(body_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), body)

        if not selected:  # a hairline between notifications
            painter.setPen(palette.color(group, QPalette.ColorRole.Midlight))
            painter.drawLine(rect.left() + PAD_X, rect.bottom(), rect.right() - PAD_X, rect.bottom())
        if state & QStyle.StateFlag.State_HasFocus and style is not None:
            focus = QStyleOptionFocusRect()
            focus.initFrom(widget)
            focus.rect = rect.adjusted(1, 1, -1, -1)
            focus.state = state | QStyle.StateFlag.State_KeyboardFocusChange
            focus.backgroundColor = palette.color(
                group, QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base
            )
            style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus, painter, widget)
        painter.restore()


class NotificationsList(QListView):
    """The list: Enter/Return opens the current notification, like a click."""

    openRequested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class NotificationsPanel(QFrame):
    opened = Signal(object)  # the Notification
    markAllRead = Signal()
    closeRequested = Signal()  # Escape: for the caller that shows the panel as a pop-up

    def __init__(
        self,
        zone: tzinfo | None = None,
        *,
        counter: UnreadCounter | None = None,
        model: NotificationsModel | None = None,
        now: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``model``: show an existing model (e.g. the inbox's) instead of a new one; ``zone`` and ``now``
        then come from that model. ``counter``: keep Mark all read enabled while the server counts unread
        notifications older than the ones shown."""
        super().__init__(parent)
        self.setObjectName("notificationsPanel")
        self.setAccessibleName("Notifications")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.counter = counter
        self.model = model if model is not None else NotificationsModel(zone, now, self)

        title = QLabel("Notifications")
        title.setObjectName("notificationsTitle")
        bold = title.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.1)
        title.setFont(bold)
        self.mark_all_button = QPushButton("Mark all read")
        self.mark_all_button.setObjectName("markAllReadButton")
        self.mark_all_button.setAccessibleName("Mark all notifications read")
        self.mark_all_button.clicked.connect(self.markAllRead)

        self.view = NotificationsList()
        self.view.setObjectName("notificationsList")
        self.view.setAccessibleName("Notifications")
        self.view.setAccessibleDescription("Newest first. Enter opens the appointment.")
        self.view.setModel(self.model)
        self.view.setModelColumn(NotificationsModel.COL_TITLE)
        self.view.setItemDelegate(NotificationDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setMouseTracking(True)  # hover highlight
        self.view.clicked.connect(self._open_index)
        self.view.openRequested.connect(self._open_index)

        self.placeholder = QLabel(EMPTY_TEXT)
        self.placeholder.setObjectName("notificationsPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color: palette(placeholder-text); padding: 24px;")

        header = QHBoxLayout()
        header.setContentsMargins(12, 8, 8, 8)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.mark_all_button)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.view)
        self._stack.addWidget(self.placeholder)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        column = QVBoxLayout(self)
        column.setContentsMargins(1, 1, 1, 1)
        column.setSpacing(0)
        column.addLayout(header)
        column.addWidget(rule)
        column.addLayout(self._stack, 1)

        self.setFocusProxy(self.view)
        QWidget.setTabOrder(self.view, self.mark_all_button)
        self.model.modelReset.connect(self._update_state)
        self.model.rowsInserted.connect(self._update_state)
        self.model.rowsRemoved.connect(self._update_state)
        self.model.dataChanged.connect(self._update_state)
        if counter is not None:
            counter.changed.connect(self._update_state)
        self._update_state()

    def sizeHint(self) -> QSize:
        return QSize(400, 460)

    # --- what the caller tells it ------------------------------------------------------------------
    def set_notifications(self, notifications: Iterable[Notification]) -> None:
        """Show these (newest first); the current notification stays current if it is still there."""
        current = self.current()
        self.model.set_notifications(notifications)
        position = self.model.position_of(current.id) if current is not None else None
        if position is not None:
            self.view.setCurrentIndex(self.model.index(position, NotificationsModel.COL_TITLE))

    def add_notification(self, notification: Notification) -> None:
        """One new (or changed) notification, e.g. from the live stream, in its place."""
        self.model.add(notification)

    def mark_read_locally(self, ids: Iterable[int]) -> list[int]:
        return self.model.mark_read(ids)

    def mark_all_read_locally(self) -> list[int]:
        return self.model.mark_all_read()

    def show_placeholder(self, text: str) -> None:
        """Instead of the list, a sentence: "Loading…", or why the list could not be loaded."""
        self.placeholder.setText(text)
        self._stack.setCurrentWidget(self.placeholder)

    # --- reading -----------------------------------------------------------------------------------
    def notifications(self) -> list[Notification]:
        return self.model.rows()

    @property
    def unread_count(self) -> int:
        return self.model.unread_count

    def current(self) -> Notification | None:
        index = self.view.currentIndex()
        return self.model.notification(index.row()) if index.isValid() else None

    # --- internals -----------------------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.opened.emit(self.model.notification(index.row()))

    def _update_state(self, *_args: object) -> None:
        empty = self.model.rowCount() == 0
        if empty:
            self.show_placeholder(EMPTY_TEXT)
        else:
            self._stack.setCurrentWidget(self.view)
        unread = self.model.unread_count or (self.counter.count if self.counter is not None else 0)
        self.mark_all_button.setEnabled(unread > 0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.closeRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
