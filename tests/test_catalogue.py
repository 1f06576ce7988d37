"""The English catalogue is complete: every text of the interface has its translation."""

from __future__ import annotations

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "spotcheck" / "locale" / "en" / "LC_MESSAGES" / "django.po"


def entries(text: str):
    """Yield (msgid, msgstrs, flags) of each entry of a .po file."""
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            yield fields["msgid"], [v for k, v in fields.items() if k.startswith("msgstr")], flags


def test_every_text_is_translated_and_none_is_fuzzy():
    missing = [msgid for msgid, strs, flags in entries(CATALOGUE.read_text(encoding="utf-8"))
               if "fuzzy" in flags or not all(strs)]
    assert not missing, missing[:20]


def test_translations_keep_their_placeholders():
    for msgid, strs, _ in entries(CATALOGUE.read_text(encoding="utf-8")):
        wanted = sorted(re.findall(r"%\(\w+\)[sd]", msgid))
        for text in strs:
            assert sorted(re.findall(r"%\(\w+\)[sd]", text)) == wanted or not wanted, (msgid, text)
