"""Every glyph on screen renders: category pictograms are drawn, and every character the console
shows (its source strings and its Chinese translations) is in the console's font, not a ⊠ box.

The check lays each character out with the console's font as Qt does on screen and looks at the
glyph it got: index 0 is the font's "missing" box, and a glyph borrowed from another installed
font (DejaVu here, nothing on a hall machine) is as good as missing, because only the font of
scripts/install_system_deps.sh is promised.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QImage, QTextLayout

from console.client.theme import UI_FONT_FAMILIES
from vocab.catalogue import CATALOGUE
from widgets.icons import CATEGORY_PAINTERS, SYMBOL_PAINTERS, category_icon, symbol_icon

ROOT = Path(__file__).resolve().parents[2]
#: Where the texts an operator sees are written: widgets, the client, the reason catalogue.
SOURCE_DIRS = ("widgets", "console/client", "vocab")
FONT_FAMILY = UI_FONT_FAMILIES[0]
ICON_PX = 32


def console_font() -> QFont:
    font = QFont()
    font.setFamilies(list(UI_FONT_FAMILIES))
    font.setPointSize(10)
    return font


def renders(ch: str, font: QFont) -> bool:
    """Whether `ch` gets a real glyph of the console's own font."""
    layout = QTextLayout(ch, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    runs = layout.glyphRuns()
    return bool(runs) and all(run.rawFont().familyName() == FONT_FAMILY and 0 not in run.glyphIndexes()
                              for run in runs)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (read by developers, never shown)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def source_strings() -> dict[str, str]:
    """Every string literal of the on-screen code (f-string parts included), by `file:line:column`."""
    texts: dict[str, str] = {}
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                    texts[f"{path.relative_to(ROOT)}:{node.lineno}:{node.col_offset}"] = node.value
    return texts


def translations() -> dict[str, str]:
    """Every source and translation text of the shipped .ts files."""
    texts = {}
    for path in sorted((ROOT / "resources" / "i18n").glob("*.ts")):
        body = path.read_text(encoding="utf-8")
        for i, m in enumerate(re.finditer(r"<(source|translation)[^>]*>(.*?)</\1>", body, re.S)):
            texts[f"{path.name}#{i}"] = m.group(2)
    return texts


def painted_share(image: QImage) -> float:
    painted = sum(1 for y in range(image.height()) for x in range(image.width()) if image.pixelColor(x, y).alpha())
    return painted / (image.width() * image.height())


def test_the_consoles_font_is_installed() -> None:
    assert FONT_FAMILY in QFontDatabase.families(), \
        f"{FONT_FAMILY} is missing: run scripts/install_system_deps.sh test (fonts-noto-cjk)"
    assert renders("市", console_font()) and renders("A", console_font())


def test_every_category_has_its_own_drawn_icon() -> None:
    categories = [k.removeprefix("category.") for k in CATALOGUE if k.startswith("category.")]
    known = [c for c in categories if c != "unknown"]
    assert set(known) == set(CATEGORY_PAINTERS), "a category of the catalogue without a pictogram, or one too many"
    images = {}
    for category in [*known, "a_category_never_seen"]:
        icon = category_icon(category)
        assert not icon.isNull(), category
        image = icon.pixmap(ICON_PX, ICON_PX).toImage()
        assert image.width() == ICON_PX and painted_share(image) > 0.1, f"{category}: almost nothing drawn"
        images[category] = image
    # Told apart at a glance: no two categories (nor the unknown one) share a picture.
    distinct = {bytes(img.constBits()) for img in images.values()}
    assert len(distinct) == len(images)
    for name in SYMBOL_PAINTERS:
        assert painted_share(symbol_icon(name).pixmap(ICON_PX, ICON_PX).toImage()) > 0.1, name


def test_every_character_on_screen_renders_in_the_consoles_font() -> None:
    font = console_font()
    where: dict[str, str] = {}
    for origin, text in {**source_strings(), **translations()}.items():
        for ch in text:
            if ch.isprintable() and not ch.isspace() and ch not in where:
                where[ch] = origin
    assert len(where) > 500   # the Chinese translations are read: thousands of characters, not a handful
    missing = {f"{ch!r} U+{ord(ch):04X} ({origin})" for ch, origin in where.items() if not renders(ch, font)}
    assert not missing, "drawn as boxes (draw them in widgets/icons.py instead): " + ", ".join(sorted(missing))
