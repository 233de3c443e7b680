"""What being stoppable costs (issue 13): interruptible guests against plain ones.

``Guest(interruptible=True)`` compiles the guest with epoch checks at every function entry and
loop header, and each call registers with the watcher. Both are measured here, side by side
with the same guest compiled plainly: the tight loop of two-sum, bulk AEAD, and one small call.
"""

from __future__ import annotations

import functools
import os
from array import array

import case_twosum
from suite import Context, expect
from wasmext.monocypher import Monocypher
from wasmext.runtime import GUESTS_DIR, Guest
from wasmext.twosum import TwoSum

GROUP = "stopping guests"
TWOSUM = "twosum(array('i')), 500,000 ints"
AEAD = "AEAD lock 1 MiB"
CALL = "crypto_verify16(a, b), fast path"

PLAIN = "plain guest"
INTERRUPTIBLE = "interruptible=True"
ON_TIMEOUT = "with a 60 s timeout"


def run(ctx: Context) -> None:
    """Time each workload on a plain and an interruptible guest (and one with a timeout)."""
    monocypher = (GUESTS_DIR / "monocypher.wasm").read_bytes()
    twosum = (GUESTS_DIR / "twosum.wasm").read_bytes()
    variants = {
        PLAIN: {},
        INTERRUPTIBLE: {"interruptible": True},
        ON_TIMEOUT: {"timeout": 60.0},
    }
    comparisons = [(INTERRUPTIBLE, PLAIN), (ON_TIMEOUT, PLAIN)]
    if ctx.selected(GROUP, TWOSUM):
        nums_list, target = case_twosum.article_input()
        nums = array("i", nums_list)
        want = case_twosum.reference(nums_list, target)
        calls = {}
        for label, options in variants.items():
            solver = TwoSum(Guest(twosum, **options), python_cutoff=0)
            calls[label] = functools.partial(solver.twosum, nums, target)
            expect(f"{GROUP}: {label} twosum", calls[label](), want)
        ctx.measure(GROUP, TWOSUM, calls, comparisons=comparisons, size=len(nums) * 4)
    if ctx.selected(GROUP, AEAD):
        key, nonce, text = bytes(32), bytes(24), os.urandom(1 << 20)
        calls = {}
        want = None
        for label, options in variants.items():
            box = Monocypher(Guest(monocypher, **options))
            calls[label] = functools.partial(box.aead_lock, text, key, nonce=nonce)
            got = calls[label]()
            want = got if want is None else want
            expect(f"{GROUP}: {label} AEAD", got, want)
        ctx.measure(GROUP, AEAD, calls, comparisons=comparisons, size=len(text))
    if ctx.selected(GROUP, CALL):
        calls = {}
        for label, options in variants.items():
            instance = Guest(monocypher, fast_calls=True, **options).new_instance()
            verify = instance.function("crypto_verify16")
            pair = instance.alloc(32)
            calls[label] = functools.partial(verify, pair, pair + 16)
            expect(f"{GROUP}: {label} call", calls[label](), 0)
        ctx.measure(GROUP, CALL, calls, comparisons=comparisons, note="µs per call")
