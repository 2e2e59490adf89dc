"""Which halls an exporter serves when a province's halls are split across
several exporters (``hallmon serve --shard i/n``): a stable hash of each hall's
id, so adding a hall never moves the others."""

from __future__ import annotations

import re
import zlib


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` (0 <= i < n) as ``(i, n)``; ValueError otherwise."""
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match:
        raise ValueError(f"shard {text!r} is not of the form i/n (e.g. 0/4)")
    i, n = int(match[1]), int(match[2])
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"shard {text!r} needs 0 <= i < n")
    return i, n


def in_shard(hall_id: str, shard: tuple[int, int]) -> bool:
    """Whether ``hall_id`` belongs to shard ``(i, n)``: a stable hash of the id, so
    adding a hall never moves the others."""
    i, n = shard
    return zlib.crc32(hall_id.encode("utf-8")) % n == i
