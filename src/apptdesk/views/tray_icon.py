"""The tray icon's image: the app icon with a red unread-count bubble, drawn by a pure function.

``badge_image(count, size)`` has no state and no side effects: the same arguments give the same pixels
(on one machine: from 22 px up the digits are outlines of the system's sans-serif font). No bubble at
zero, the count up to 9, "9+" above. The bubble is cut out of the icon with a thin transparent gap, so
it stands apart from the icon on a light panel and on a dark one alike; ``dark`` lifts the icon's
near-black rings and uses a lighter red, so neither sinks into a dark panel.

Tray icons are shown at 16-24 px (and twice that on high-DPI screens); the bubble takes a larger share
of small icons so its digit stays readable, and at 16-21 px the digits are hand-made 5 x 7 pixel glyphs
on whole pixels, since any outline font smears into grey there. ``tray_qicon`` bundles one image per
common size, each drawn for that size rather than scaled.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPainterPath, QPen, QPixmap, QTransform

ICON_FILE = "apptdesk.svg"
TRAY_SIZES = (16, 20, 22, 24, 32, 40, 44, 48, 64)

# The icon's colours, as in resources/apptdesk.svg; on a dark panel the near-black rings are lifted so
# the icon's outline does not sink into the panel.
ICON_COLORS = {"page": "#1f6feb", "band": "#164fa8", "rings": "#0d2f66", "tick": "#ffffff"}
ICON_COLORS_DARK = {**ICON_COLORS, "rings": "#2f6fd6"}

BUBBLE = QColor("#d1242f")  # white digits on it: 5.2:1
# On a dark panel (#2b2b2b) the darker red stands out only 2.7:1; this one 3.6:1, with white digits on
# it at 3.9:1 (bold digits filling the bubble: large text, for which 3:1 is the bar).
BUBBLE_DARK = QColor("#e5484d")
BUBBLE_TEXT = QColor("#ffffff")


def badge_text(count: int) -> str:
    """What the bubble says: "" at zero (no bubble), the count up to 9, "9+" above."""
    if count <= 0:
        return ""
    return str(count) if count <= 9 else "9+"


def badge_image(count: int, size: int = 64, base: QImage | None = None, dark: bool = False) -> QImage:
    """The app icon (or ``base``, scaled to ``size``) with the unread bubble in the top-right corner."""
    image = base_icon(size, dark) if base is None else _fit(base, size)
    text = badge_text(count)
    if not text:
        return image
    bubble = _bubble_rect(text, size)
    gap = max(1.0, size / 32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    # Cut a ring around the bubble out of the icon: the panel's own colour separates the two.
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(Qt.GlobalColor.black)
    ring = bubble.adjusted(-gap, -gap, gap, gap)
    painter.drawRoundedRect(ring, ring.height() / 2, ring.height() / 2)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
    painter.setBrush(BUBBLE_DARK if dark else BUBBLE)
    painter.drawRoundedRect(bubble, bubble.height() / 2, bubble.height() / 2)
    if _uses_pixel_font(size):
        _draw_pixel_text(painter, text, bubble)
    else:
        # The digits as a filled path: exact placement, no hinting surprises, same pixels every time.
        painter.setBrush(BUBBLE_TEXT)
        painter.drawPath(_text_path(text, bubble))
    painter.end()
    return image


def base_icon(size: int = 64, dark: bool = False) -> QImage:
    """The app icon without a bubble, ``size`` x ``size``, transparent around it."""
    return _base_icon(size, dark).copy()  # the cached one stays untouched: callers may paint on theirs


def tray_qicon(count: int, dark: bool = False, base: QImage | None = None) -> QIcon:
    """A QIcon holding ``badge_image`` drawn for each common tray size."""
    icon = QIcon()
    for size in TRAY_SIZES:
        icon.addPixmap(QPixmap.fromImage(badge_image(count, size, base, dark)))
    return icon


def icon_path() -> Path | None:
    """The app's SVG icon: packaged next to the code, or in the source tree's ``resources/``."""
    here = Path(__file__).resolve()
    for candidate in (
        here.parent.parent / "resources" / ICON_FILE,
        here.parents[3] / "resources" / ICON_FILE,
    ):
        if candidate.is_file():
            return candidate
    return None


# --- drawing -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _base_icon(size: int, dark: bool) -> QImage:
    colors = ICON_COLORS_DARK if dark else ICON_COLORS
    image = _blank(size)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if not _render_svg(painter, size, colors):
        _draw_calendar(painter, size, colors)
    painter.end()
    return image


def _blank(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    return image


def _fit(base: QImage, size: int) -> QImage:
    image = _blank(size)
    scaled = base.scaled(
        size,
        size,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    painter = QPainter(image)
    painter.drawImage(QPointF((size - scaled.width()) / 2, (size - scaled.height()) / 2), scaled)
    painter.end()
    return image


def _render_svg(painter: QPainter, size: int, colors: dict[str, str]) -> bool:
    """Draw the SVG icon; False when there is no QtSvg module or no icon file."""
    try:
        from PySide6.QtSvg import QSvgRenderer
    except ImportError:  # pragma: no cover - PySide6-Essentials ships QtSvg, but be safe
        return False
    path = icon_path()
    if path is None:
        return False
    svg = path.read_text(encoding="utf-8")
    for light, wanted in zip(ICON_COLORS.values(), colors.values(), strict=True):
        svg = svg.replace(light, wanted)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        return False
    renderer.render(painter, QRectF(0, 0, size, size))
    return True


def _draw_calendar(painter: QPainter, size: int, colors: dict[str, str]) -> None:
    """The same picture as the SVG, by hand: a blue calendar page with rings and a white tick."""
    s = size / 64
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colors["page"]))
    painter.drawRoundedRect(QRectF(6 * s, 10 * s, 52 * s, 46 * s), 7 * s, 7 * s)
    painter.setBrush(QColor(colors["band"]))
    painter.drawRoundedRect(QRectF(6 * s, 10 * s, 52 * s, 13 * s), 7 * s, 7 * s)
    painter.setBrush(QColor(colors["rings"]))
    for x in (16, 42):
        painter.drawRoundedRect(QRectF(x * s, 4 * s, 6 * s, 12 * s), 3 * s, 3 * s)
    pen = QPen(QColor(colors["tick"]), 6 * s)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    tick = QPainterPath(QPointF(20 * s, 40 * s))
    tick.lineTo(28 * s, 48 * s)
    tick.lineTo(44 * s, 31 * s)
    painter.drawPath(tick)


def _bubble_rect(text: str, size: int) -> QRectF:
    """The bubble: a circle for one digit, a pill for "9+", larger (relative to the icon) when small."""
    if _uses_pixel_font(size):
        # Odd sizes, like the 5 x 7 digits, so the digits sit on whole pixels.
        height = 11 if size < 20 else 13
        width = height if len(text) == 1 else min(size - (size + 1) % 2, height + 4)
        return QRectF(size - width, 0, width, height)
    share = 0.62 if size <= 24 else 0.5 if size <= 40 else 0.44
    height = round(size * share)
    width = height if len(text) == 1 else min(size, round(height * 1.45))
    return QRectF(size - width, 0, width, height)


def _uses_pixel_font(size: int) -> bool:
    """At 16-21 px an outline font smears into grey; hand-drawn 5 x 7 pixel digits stay sharp."""
    return 16 <= size < 22


# 5 x 7 pixel digits (and a 3 x 3 plus): what small LED and tray displays use, readable at one pixel a stroke.
_PIXEL_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "1": ("00100", "01100", "00100", "00100", "00100", "00100", "01110"),
    "2": ("01110", "10001", "00001", "00010", "00100", "01000", "11111"),
    "3": ("11110", "00001", "00001", "01110", "00001", "00001", "11110"),
    "4": ("00010", "00110", "01010", "10010", "11111", "00010", "00010"),
    "5": ("11111", "10000", "11110", "00001", "00001", "10001", "01110"),
    "6": ("00110", "01000", "10000", "11110", "10001", "10001", "01110"),
    "7": ("11111", "00001", "00010", "00100", "01000", "01000", "01000"),
    "8": ("01110", "10001", "10001", "01110", "10001", "10001", "01110"),
    "9": ("01110", "10001", "10001", "01111", "00001", "00010", "01100"),
    "+": ("000", "000", "010", "111", "010", "000", "000"),
}
_GLYPH_HEIGHT = 7


def _draw_pixel_text(painter: QPainter, text: str, bubble: QRectF) -> None:
    glyphs = [_PIXEL_GLYPHS[char] for char in text]
    rows = [
        "0".join(glyph[row] for glyph in glyphs)  # one blank column between glyphs
        for row in range(_GLYPH_HEIGHT)
    ]
    width = len(rows[0])
    # The whole text as one ARGB32 image (white or transparent pixels), drawn in one call.
    white, clear = b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"
    data = b"".join(white if bit == "1" else clear for row in rows for bit in row)
    pixels = QImage(data, width, _GLYPH_HEIGHT, width * 4, QImage.Format.Format_ARGB32).copy()
    left = int(bubble.x() + (bubble.width() - width) / 2)
    top = int(bubble.y() + (bubble.height() - _GLYPH_HEIGHT) / 2)
    painter.drawImage(left, top, pixels)


def _text_path(text: str, bubble: QRectF) -> QPainterPath:
    font = QFont("DejaVu Sans")
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setWeight(QFont.Weight.Bold)
    font.setPixelSize(max(6, round(bubble.height() * 0.78)))
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    path = QPainterPath()
    path.addText(0, 0, font, text)
    ink = path.boundingRect()
    # Fit the ink (not the font's line box) inside the bubble, then centre it exactly.
    room_w = bubble.width() - bubble.height() * (0.28 if len(text) > 1 else 0.36)
    room_h = bubble.height() * 0.64
    scale = min(1.0, room_w / ink.width(), room_h / ink.height()) if ink.width() and ink.height() else 1.0
    if scale < 1.0:
        path = _scaled(path, scale)
        ink = path.boundingRect()
    return path.translated(bubble.center() - ink.center())


def _scaled(path: QPainterPath, factor: float) -> QPainterPath:
    return QTransform.fromScale(factor, factor).map(path)


__all__ = [
    "TRAY_SIZES",
    "badge_image",
    "badge_text",
    "base_icon",
    "icon_path",
    "tray_qicon",
]
