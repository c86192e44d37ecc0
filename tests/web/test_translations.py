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
        context = re.search(r'^msgctxt "(.*)"$', block, re.M)
        if msgid:
            key = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            # A word with a context (pgettext) is its own entry: "\x04" joins them in a .mo.
            entries[f"{context.group(1)}\x04{key}" if context else key] = (
                msgstr.encode().decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return entries


def _compiled(translations: gettext.GNUTranslations, key: str) -> str:
    if "\x04" in key:
        context, msgid = key.split("\x04", 1)
        return translations.pgettext(context, msgid)
    return translations.gettext(key)


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
    stale = [m for m, s in entries.items() if _compiled(translations, m) != s]
    assert not stale, f"run `make messages` ({len(stale)} stale, e.g. {stale[:2]})"
