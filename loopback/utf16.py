"""UTF-16 arithmetic: Telegram measures entity offsets and text limits in UTF-16 code units."""

from __future__ import annotations


def utf16_len(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def utf16_index(text: str) -> list[int]:
    """UTF-16 offset of every character index of `text`, plus one past the end."""
    offsets = [0] * (len(text) + 1)
    position = 0
    for index, char in enumerate(text):
        offsets[index] = position
        position += 2 if ord(char) > 0xFFFF else 1
    offsets[len(text)] = position
    return offsets


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of character `index`: Telegram's parse errors count bytes."""
    return len(text[:index].encode("utf-8"))
