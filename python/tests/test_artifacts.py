"""The shipped artifacts are what the manifest next to them says: every file listed with its
size and sha256 (what ``cargo xtask verify`` compares against a build of the same commit), and
every export with the signature the runtime reads from the module itself."""

from __future__ import annotations

import hashlib
import json

from conftest import require_bundled

from wasmext.runtime import GUESTS_DIR, Guest


def test_the_manifest_describes_the_shipped_artifacts() -> None:
    require_bundled("twosum")
    manifest = json.loads((GUESTS_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert {"rustc", "clang", "wasm-ld", "wasm-opt"} <= set(manifest["tools"])
    listed = {entry["file"] for entry in manifest["guests"]}
    assert listed == {path.name for path in GUESTS_DIR.glob("*.wasm")}
    for entry in manifest["guests"]:
        wasm = (GUESTS_DIR / entry["file"]).read_bytes()
        assert entry["ship"] is True
        assert entry["bytes"] == len(wasm)
        assert entry["sha256"] == hashlib.sha256(wasm).hexdigest()
        guest = Guest(GUESTS_DIR / entry["file"])
        assert guest.sha256 == entry["sha256"]
        functions = {
            export["name"]: export["signature"]
            for export in entry["exports"]
            if export["kind"] == "func"
        }
        assert functions == {name: str(sig) for name, sig in guest.functions.items()}
