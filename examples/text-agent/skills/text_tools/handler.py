"""text_tools: '<operation>: <text>' -> the transformed text, or counts."""

import re
import unicodedata

OPERATIONS = ("upper", "lower", "title", "reverse", "count", "slug")


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def handle(message: str, **_ignored) -> str:
    operation, separator, text = message.partition(":")
    operation = operation.strip().lower()
    if not separator or operation not in OPERATIONS:
        operation, text = "count", message
    text = text.strip()
    if operation == "upper":
        return text.upper()
    if operation == "lower":
        return text.lower()
    if operation == "title":
        return text.title()
    if operation == "reverse":
        return text[::-1]
    if operation == "slug":
        return slug(text)
    words = len(text.split())
    lines = len(text.splitlines()) or (1 if text else 0)
    return f"{words} words, {len(text)} characters, {lines} lines"
