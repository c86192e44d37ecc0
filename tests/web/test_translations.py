"""Every Norwegian catalogue is complete and its compiled .mo matches the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "safehands"
PO_FILES = sorted(SRC.glob("**/locale/nb/LC_MESSAGES/django.po"))


def _entries(po: Path) -> dict[str, str]:
    entries = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if "#, fuzzy" in block:
            entries["<fuzzy>"] = block
        match = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if not match:
            continue
        msgid, msgstr = ("".join(re.findall(r'"(.*)"', g)) for g in match.groups())
        if msgid:
            entries[msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")] = (
                msgstr.encode().decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return entries


def test_there_is_a_norwegian_catalogue():
    assert PO_FILES


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_catalogue_is_complete_and_compiled(po):
    entries = _entries(po)
    assert "<fuzzy>" not in entries, "resolve fuzzy entries"
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert not untranslated
    with open(po.with_suffix(".mo"), "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = [m for m, s in entries.items() if translations.gettext(m) != s]
    assert not stale, f"run `make messages` ({len(stale)} stale, e.g. {stale[:2]})"
