"""What one tip's proof of work costs an attacker: challenges solved per CPU-second by a
plain Python solver (hashlib's SHA-256, one core), at the base difficulty and at the raised
ones the shared budgets' load brings (tips/ratelimits.proof_of_work_factor).

    .venv/bin/python bench/pow_cost.py [challenges per level, default 40]

The figure goes in SECURITY.md. An attacker's native code is faster than this (perhaps
×5–20 per core); the ratio between the levels is what the raised difficulty buys.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import time

BASE = 100_000  # ALTCHA_MAX_NUMBER's default


def solve(salt: str, challenge: str, max_number: int) -> int:
    for number in range(max_number + 1):
        if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() == challenge:
            return number
    raise ValueError("no solution")


def per_cpu_second(max_number: int, rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        salt = secrets.token_hex(12)
        secret = secrets.randbelow(max_number + 1)  # as ALTCHA draws it
        solve(salt, hashlib.sha256(f"{salt}{secret}".encode()).hexdigest(), max_number)
    return rounds / (time.process_time() - start)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    for factor in (1, 4, 16):
        rate = per_cpu_second(BASE * factor, max(4, rounds // factor))
        print(f"max_number {BASE * factor:>9,} (×{factor:<2}): {rate:6.2f} tips per CPU-second")


if __name__ == "__main__":
    main()
