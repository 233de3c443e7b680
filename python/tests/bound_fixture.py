"""A guest that implements the ``#[guest_sdk::export]`` ABI by hand, in WAT, and its interface.

Every function takes its lowered parameters and then ``out``, the result record's address,
and returns the status (docs/bindings.md). The arena follows the SDK's: it hands out only
memory it grew itself (the host's scratch block grows memory too), and ``bump_reset`` zeroes
all it handed out. Page 0 holds its map of owned pages (a byte per page); the heap starts in
page 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import wasmtime

SCALAR_TYPES = ["bool", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64"]
ELEMENT_TYPES = {  # load, store, width in bytes, how the fixture bumps an element
    "i32": ("i32.load", "i32.store", 4, "(i32.add {} (i32.const 1))"),
    "u32": ("i32.load", "i32.store", 4, "(i32.add {} (i32.const 1))"),
    "i64": ("i64.load", "i64.store", 8, "(i64.add {} (i64.const 1))"),
    "u64": ("i64.load", "i64.store", 8, "(i64.add {} (i64.const 1))"),
    "f32": ("f32.load", "f32.store", 4, "(f32.add {} (f32.const 1))"),
    "f64": ("f64.load", "f64.store", 8, "(f64.add {} (f64.const 1))"),
    "u8": ("i32.load8_u", "i32.store8", 1, "(i32.add {} (i32.const 1))"),
}

ARENA = """
  (memory (export "memory") 2)
  (data (i32.const 1) "\\01")
  (data (i32.const 65536) "hi, ")
  (global $heap i32 (i32.const 66560))
  (global $top (mut i32) (i32.const 66560))
  (func $alloc (export "bump_alloc") (param $n i32) (result i32)
    (local $at i64) (local $room i64) (local $page i64) (local $pages i64) (local $fresh i64)
    (local $end i64)
    (local.set $room (i64.extend_i32_u (select (local.get $n) (i32.const 1) (local.get $n))))
    (local.set $at (i64.extend_i32_u (global.get $top)))
    (local.set $fresh (i64.extend_i32_u (memory.size)))
    (local.set $page (i64.shr_u (local.get $at) (i64.const 16)))
    (block $done (loop $next
      (br_if $done (i64.ge_u (i64.shl (local.get $page) (i64.const 16))
                             (i64.add (local.get $at) (local.get $room))))
      (local.set $pages (i64.extend_i32_u (memory.size)))
      (if (i64.ge_u (local.get $page) (local.get $pages)) (then
        (local.set $end (i64.add (i64.shr_u (i64.sub (i64.add (local.get $at) (local.get $room))
                                                     (i64.const 1)) (i64.const 16))
                                 (i64.const 1)))
        (if (i64.gt_u (local.get $end) (i64.const 65535)) (then (return (i32.const 0))))
        (if (i32.eq (memory.grow (i32.wrap_i64 (i64.sub (local.get $end) (local.get $pages))))
                    (i32.const -1))
          (then (return (i32.const 0))))))
      (if (i64.ge_u (local.get $page) (local.get $fresh))
        (then (i32.store8 (i32.wrap_i64 (local.get $page)) (i32.const 1)))
        (else (if (i32.eqz (i32.load8_u (i32.wrap_i64 (local.get $page))))
          (then (local.set $at (i64.shl (i64.add (local.get $page) (i64.const 1))
                                        (i64.const 16)))))))
      (local.set $page (i64.add (local.get $page) (i64.const 1)))
      (br $next)))
    (global.set $top (i32.wrap_i64 (i64.and (i64.add (i64.add (local.get $at) (local.get $room))
                                                     (i64.const 15))
                                            (i64.const -16))))
    (i32.wrap_i64 (local.get $at)))
  (func $reset (export "bump_reset")
    (local $addr i32) (local $next i32)
    (local.set $addr (global.get $heap))
    (block $done (loop $again
      (br_if $done (i32.ge_u (local.get $addr) (global.get $top)))
      (local.set $next (i32.add (i32.or (local.get $addr) (i32.const 0xFFFF)) (i32.const 1)))
      (if (i32.gt_u (local.get $next) (global.get $top)) (then (local.set $next (global.get $top))))
      (if (i32.load8_u (i32.shr_u (local.get $addr) (i32.const 16)))
        (then (memory.fill (local.get $addr) (i32.const 0)
                           (i32.sub (local.get $next) (local.get $addr)))))
      (local.set $addr (local.get $next))
      (br $again)))
    (global.set $top (global.get $heap)))
  ;; copies n bytes from src into a fresh arena allocation, or returns 0
  (func $copy (param $src i32) (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (call $alloc (local.get $n)))
    (if (local.get $p) (then (memory.copy (local.get $p) (local.get $src) (local.get $n))))
    (local.get $p))
"""

FUNCTIONS = """
  (func (export "add3") (param $a i32) (param $b i64) (param $c i64) (param $out i32)
                        (result i32)
    (f64.store (local.get $out)
      (f64.add (f64.add (f64.convert_i32_u (local.get $a)) (f64.convert_i64_s (local.get $b)))
               (f64.reinterpret_i64 (local.get $c))))
    (i32.const 0))
  (func (export "flip") (param $x i32) (param $out i32) (result i32)
    (if (i32.gt_u (local.get $x) (i32.const 1)) (then (return (i32.const -1))))
    (i64.store (local.get $out) (i64.extend_i32_u (i32.eqz (local.get $x))))
    (i32.const 0))
  (func (export "reverse") (param $data i32) (param $len i32) (param $out i32) (result i32)
    (local $p i32) (local $i i32)
    (local.set $p (call $alloc (local.get $len)))
    (if (i32.eqz (local.get $p)) (then (return (i32.const -1000))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (i32.store8 (i32.add (local.get $p) (local.get $i))
        (i32.load8_u (i32.sub (i32.add (local.get $data) (local.get $len))
                              (i32.add (local.get $i) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store (local.get $out) (local.get $p))
    (i32.store offset=8 (local.get $out) (local.get $len))
    (i32.const 0))
  (export "text_sum" (func $checksum))
  (func $checksum (export "checksum") (param $data i32) (param $len i32) (param $out i32)
                  (result i32)
    (local $i i32) (local $sum i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (i32.add (local.get $sum)
                               (i32.load8_u (i32.add (local.get $data) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i64.store (local.get $out) (i64.extend_i32_u (local.get $sum)))
    (i32.const 0))
  (func (export "key_sum") (param $key i32) (param $out i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const 32)))
      (local.set $sum (i32.add (local.get $sum)
                               (i32.load8_u (i32.add (local.get $key) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i64.store (local.get $out) (i64.extend_i32_u (local.get $sum)))
    (i32.const 0))
  (func (export "scale") (param $v i32) (param $len i32) (param $f i32) (param $out i32)
                         (result i32)
    (local $i i32) (local $at i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $at (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2))))
      (i32.store (local.get $at) (i32.mul (i32.load (local.get $at)) (local.get $f)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0))
  (func (export "sum_f64") (param $v i32) (param $len i32) (param $out i32) (result i32)
    (local $i i32) (local $sum f64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (f64.add (local.get $sum)
                               (f64.load (i32.add (local.get $v) (i32.shl (local.get $i)
                                                                          (i32.const 3))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (f64.store (local.get $out) (local.get $sum))
    (i32.const 0))
  (func (export "greet") (param $s i32) (param $len i32) (param $out i32) (result i32)
    (local $p i32)
    (local.set $p (call $alloc (i32.add (local.get $len) (i32.const 4))))
    (if (i32.eqz (local.get $p)) (then (return (i32.const -1000))))
    (memory.copy (local.get $p) (i32.const 65536) (i32.const 4))
    (memory.copy (i32.add (local.get $p) (i32.const 4)) (local.get $s) (local.get $len))
    (i32.store (local.get $out) (local.get $p))
    (i32.store offset=8 (local.get $out) (i32.add (local.get $len) (i32.const 4)))
    (i32.const 0))
  (func (export "find") (param $data i32) (param $len i32) (param $b i32) (param $out i32)
                        (result i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (if (i32.eq (i32.load8_u (i32.add (local.get $data) (local.get $i))) (local.get $b))
        (then (i64.store (local.get $out) (i64.extend_i32_u (local.get $i)))
              (i32.store offset=8 (local.get $out) (i32.const 1))
              (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0))
  (func (export "maybe_sqrt") (param $x i64) (param $out i32) (result i32)
    (if (f64.ge (f64.reinterpret_i64 (local.get $x)) (f64.const 0))
      (then (f64.store (local.get $out) (f64.sqrt (f64.reinterpret_i64 (local.get $x))))
            (i32.store offset=8 (local.get $out) (i32.const 1))))
    (i32.const 0))
  (func (export "divide") (param $a i32) (param $b i32) (param $out i32) (result i32)
    (if (i32.eqz (local.get $b)) (then (return (i32.const 1))))
    (if (i32.and (i32.eq (local.get $a) (i32.const 0x80000000))
                 (i32.eq (local.get $b) (i32.const -1)))
      (then (return (i32.const 2))))
    (i64.store (local.get $out) (i64.extend_i32_s (i32.div_s (local.get $a) (local.get $b))))
    (i32.const 0))
  (func (export "picky") (param $data i32) (param $len i32) (param $limit i32) (param $out i32)
                         (result i32)
    (if (i32.gt_u (local.get $limit) (local.get $len)) (then (return (i32.const -2))))
    (i64.store (local.get $out) (i64.extend_i32_u (local.get $limit)))
    (i32.const 0))
  (func (export "squares") (param $n i32) (param $out i32) (result i32)
    (local $p i32) (local $i i32)
    (local.set $p (call $alloc (i32.shl (local.get $n) (i32.const 3))))
    (if (i32.eqz (local.get $p)) (then (return (i32.const -1000))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i64.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))
                 (i64.mul (i64.extend_i32_u (local.get $i)) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store (local.get $out) (local.get $p))
    (i32.store offset=8 (local.get $out) (local.get $n))
    (i32.const 0))
  (func (export "fill") (param $n i32) (param $out i32) (result i32)
    (local $p i32)
    (local.set $p (call $alloc (local.get $n)))
    (if (i32.eqz (local.get $p)) (then (return (i32.const -1000))))
    (memory.fill (local.get $p) (i32.const 0x41) (local.get $n))
    (i32.store (local.get $out) (local.get $p))
    (i32.store offset=8 (local.get $out) (local.get $n))
    (i32.const 0))
  (func (export "stash") (param $data i32) (param $len i32) (param $out i32) (result i32)
    (if (i32.eqz (call $copy (local.get $data) (local.get $len)))
      (then (return (i32.const -1000))))
    (i64.store (local.get $out) (i64.extend_i32_u (local.get $len)))
    (i32.const 0))
  (func (export "bad_vec") (param $out i32) (result i32)
    (i32.store (local.get $out) (i32.const 0xFFFF0000))
    (i32.store offset=8 (local.get $out) (i32.const 100))
    (i32.const 0))
  (func (export "bad_utf8") (param $out i32) (result i32)
    (i32.store8 (i32.const 65540) (i32.const 0xFF))
    (i32.store (local.get $out) (i32.const 65540))
    (i32.store offset=8 (local.get $out) (i32.const 1))
    (i32.const 0))
  (func (export "bad_status") (param $out i32) (result i32) (i32.const 77))
  (func (export "boom") (param $out i32) (result i32) unreachable)
  (func (export "nothing") (param $out i32) (result i32) (i32.const 0))
  ;; the SDK's pointer rule: the record and the data lie in what the arena lent since its reset
  (func (export "strict_sum") (param $data i32) (param $len i32) (param $out i32) (result i32)
    (local $i i32) (local $sum i32)
    (if (i32.or (i32.lt_u (local.get $out) (global.get $heap))
                (i32.gt_u (i32.add (local.get $out) (i32.const 16)) (global.get $top)))
      (then (return (i32.const -1001))))
    (if (i32.and (i32.ne (local.get $len) (i32.const 0))
                 (i32.or (i32.lt_u (local.get $data) (global.get $heap))
                         (i32.gt_u (i32.add (local.get $data) (local.get $len))
                                   (global.get $top))))
      (then (return (i32.const -1))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (i32.add (local.get $sum)
                               (i32.load8_u (i32.add (local.get $data) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i64.store (local.get $out) (i64.extend_i32_u (local.get $sum)))
    (i32.const 0))
  ;; resets the arena behind the host's back (what no SDK guest does)
  (func (export "forget") (param $out i32) (result i32) (call $reset) (i32.const 0))
  (func (export "spin") (param $n i64) (param $out i32) (result i32)
    (block $done (loop $next
      (br_if $done (i64.eqz (local.get $n)))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br $next)))
    (i32.const 0))
  (func (export "raw_checksum") (param $data i32) (param $len i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (i32.add (local.get $sum)
                               (i32.load8_u (i32.add (local.get $data) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum))
"""


def _echo(item: str) -> str:
    """``echo_T(x: T) -> T``: stores the lowered value, extended to 64 bits."""
    if item in ("u64", "i64", "f64"):
        store = "(i64.store (local.get $out) (local.get $x))"
        wasm = "i64"
    else:
        extend = "i64.extend_i32_s" if item in ("i8", "i16", "i32") else "i64.extend_i32_u"
        store = f"(i64.store (local.get $out) ({extend} (local.get $x)))"
        wasm = "i32"
    return (
        f'(func (export "echo_{item}") (param $x {wasm}) (param $out i32) (result i32) '
        f"{store} (i32.const 0))\n"
    )


def _copy(item: str) -> str:
    """``copy_T(values: &[T]) -> Vec<T>`` and ``bump_T(values: &mut [T])`` (adds one to each)."""
    load, store, width, bump = ELEMENT_TYPES[item]
    shift = {1: 0, 4: 2, 8: 3}[width]
    element = f"(i32.add (local.get $v) (i32.shl (local.get $i) (i32.const {shift})))"
    return f"""
  (func (export "copy_{item}") (param $v i32) (param $len i32) (param $out i32) (result i32)
    (local $p i32)
    (local.set $p (call $copy (local.get $v) (i32.shl (local.get $len) (i32.const {shift}))))
    (if (i32.eqz (local.get $p)) (then (return (i32.const -1000))))
    (i32.store (local.get $out) (local.get $p))
    (i32.store offset=8 (local.get $out) (local.get $len))
    (i32.const 0))
  (func (export "bump_{item}") (param $v i32) (param $len i32) (param $out i32) (result i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      ({store} {element} {bump.format(f"({load} {element})")})
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0))
"""


WAT = (
    "(module"
    + ARENA
    + FUNCTIONS
    + "".join(_echo(t) for t in SCALAR_TYPES)
    + "".join(_copy(t) for t in ELEMENT_TYPES)
    + ")"
)


def _fn(
    name: str, params: list[tuple[str, str]], result: str, doc: str = "", error: Any = None
) -> dict[str, Any]:
    return {
        "name": name,
        "doc": doc,
        "params": [{"name": n, "type": t} for n, t in params],
        "result": result,
        "error": error,
    }


INTERFACE: dict[str, Any] = {
    "functions": [
        _fn("add3", [("a", "u8"), ("b", "i64"), ("c", "f64")], "f64", "Adds `a`, `b` and `c`."),
        _fn("flip", [("x", "bool")], "bool", "Not `x`."),
        _fn("reverse", [("data", "&[u8]")], "Vec<u8>", "The bytes, last first.\n\nA copy."),
        _fn("checksum", [("data", "&[u8]")], "u32", "The sum of the bytes of `data`."),
        _fn("key_sum", [("key", "&[u8; 32]")], "u32", "The sum of the bytes of a key."),
        _fn("scale", [("values", "&mut [i32]"), ("factor", "i32")], "()", "Multiplies in place."),
        _fn("sum_f64", [("values", "&[f64]")], "f64", "The sum."),
        _fn("greet", [("name", "&str")], "String", "A greeting for `name`."),
        _fn("text_sum", [("text", "&str")], "u32", "The sum of the UTF-8 bytes of `text`."),
        _fn("find", [("data", "&[u8]"), ("byte", "u8")], "Option<u32>", "Where `byte` is."),
        _fn("maybe_sqrt", [("x", "f64")], "Option<f64>", "The square root, if there is one."),
        _fn("divide", [("a", "i32"), ("b", "i32")], "i32", "`a / b`.", "MathError"),
        _fn("picky", [("data", "&[u8]"), ("limit", "u32")], "u32", "`limit`, if <= len(data)."),
        _fn("squares", [("n", "u32")], "Vec<i64>", "The first `n` squares."),
        _fn("fill", [("n", "u32")], "Vec<u8>", "`n` bytes of 'A'."),
        _fn("stash", [("data", "&[u8]")], "u32", "Copies `data` into the arena; its length."),
        _fn("bad_vec", [], "Vec<u8>", "A vector outside memory."),
        _fn("bad_utf8", [], "String", "A string that is not UTF-8."),
        _fn("bad_status", [], "()", "An unknown status."),
        _fn("boom", [], "()", "Traps."),
        _fn("nothing", [], "()", ""),
        _fn("strict_sum", [("data", "&[u8]")], "u32", "`checksum`, checking its pointers."),
        _fn("forget", [], "()", "Resets the arena behind the host's back."),
        _fn("spin", [("n", "u64")], "()", "Counts `n` down to zero."),
        *(_fn(f"echo_{t}", [("x", t)], t, f"`x` as a {t}.") for t in SCALAR_TYPES),
        *(_fn(f"copy_{t}", [("values", f"&[{t}]")], f"Vec<{t}>") for t in ELEMENT_TYPES),
        *(_fn(f"bump_{t}", [("values", f"&mut [{t}]")], "()") for t in ELEMENT_TYPES),
    ],
    "errors": [
        {
            "name": "MathError",
            "doc": "What can go wrong in a division.",
            "variants": [
                {"name": "DivideByZero", "doc": "The divisor is zero."},
                {"name": "Overflow", "doc": "The quotient does not fit."},
            ],
        }
    ],
}


def wasm() -> bytes:
    """The fixture's module."""
    return wasmtime.wat2wasm(WAT)


def write(directory: Path, name: str = "fixture") -> Path:
    """``name.wasm`` and a ``manifest.json`` listing it with its interface, in ``directory``."""
    import hashlib

    data = wasm()
    path = directory / f"{name}.wasm"
    path.write_bytes(data)
    entry = {
        "name": name,
        "file": path.name,
        "profile": "size",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "ship": True,
        "exports": [],
        "interface": INTERFACE,
    }
    manifest = {"tools": {}, "guests": [entry]}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return path
