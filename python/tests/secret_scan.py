"""The secret scan: is any sizeable piece of a secret anywhere in a memory dump?

Every secret is searched for as 8-byte windows taken every 4 bytes, so any remnant of 12 bytes
or more is found; random 8-byte strings do not occur by chance in a few MiB. Large secrets are
sampled (512 windows spread over them still catch any sizeable copy).
"""

from __future__ import annotations

import re

WINDOW, STRIDE = 8, 4
# Linear memory is mostly zeros. A window worth looking for has at most two zero bytes, so no
# match can span a run of WINDOW of them: runs that long are squeezed before searching.
_ZERO_RUN = re.compile(b"\\0{%d,}" % WINDOW)


def remnants(dump: bytes, secrets: dict[str, bytes]) -> list[str]:
    """Where pieces of ``secrets`` occur in ``dump``: ``name[start:end] at offset`` each."""
    found = []
    squeezed = _ZERO_RUN.sub(bytes(WINDOW), dump)
    for name, secret in secrets.items():
        assert len(secret) >= WINDOW, name
        stride = max(STRIDE, len(secret) // 512)
        for start in range(0, len(secret) - WINDOW + 1, stride):
            window = secret[start : start + WINDOW]
            if len(set(window)) < WINDOW - 1:
                continue  # zero padding and counters are not secret and occur everywhere
            if squeezed.find(window) >= 0:
                found.append(f"{name}[{start}:{start + WINDOW}] at {dump.find(window):#x}")
                break
    return found


def assert_no_secrets(dump: bytes, secrets: dict[str, bytes]) -> None:
    """Fail naming every secret that left a piece of itself in ``dump``."""
    found = remnants(dump, secrets)
    assert not found, f"secrets left in linear memory: {found}"
