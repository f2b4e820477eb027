#!/usr/bin/env python3
"""Recompute a draw (sorteggio) of the portal from what the activity page publishes: the seed and the
requests' codes, each with its priority group. Needs nothing but Python's standard library.

    python3 scripts/draw_order.py "SEED" CODE[:GROUP] CODE[:GROUP] ...

The order: requests sorted by priority group (0 first; no group means 0), then by the SHA-256 hash,
in hexadecimal, of the seed followed by a colon and the code. Prints the codes in that order.
"""

import hashlib
import sys


def order(seed: str, requests: list[tuple[str, int]]) -> list[tuple[str, int]]:
    def key(request: tuple[str, int]) -> tuple[int, str]:
        code, group = request
        return group, hashlib.sha256(f"{seed}:{code}".encode("utf-8")).hexdigest()

    return sorted(requests, key=key)


def parse(argument: str) -> tuple[str, int]:
    code, _, group = argument.partition(":")
    return code, int(group or 0)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for position, (code, group) in enumerate(order(sys.argv[1], [parse(a) for a in sys.argv[2:]]), start=1):
        print(position, code, group)
