#!/usr/bin/env python3
"""Fails when Cargo.toml's rust-version is lower than the rust-version a
locked dependency declares: the stated minimum must build the lock file.

Reads `cargo metadata --locked --format-version 1`, or the JSON file given as
the first argument.
"""
import json
import subprocess
import sys


def version(text):
    """`1.88` and `1.88.0` are the same version."""
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as f:
            meta = json.load(f)
    else:
        out = subprocess.run(
            ["cargo", "metadata", "--locked", "--format-version", "1"],
            check=True, capture_output=True, text=True,
        ).stdout
        meta = json.loads(out)
    members = set(meta["workspace_members"])
    ours = [p for p in meta["packages"] if p["id"] in members]
    deps = [p for p in meta["packages"] if p["id"] not in members and p.get("rust_version")]
    if not deps:
        print("rust-version check: no dependency declares a rust-version")
        return 0
    need = max(deps, key=lambda p: version(p["rust_version"]))
    failed = False
    for p in ours:
        stated = p.get("rust_version")
        if stated is None or version(stated) < version(need["rust_version"]):
            print(
                f"rust-version check: {p['name']} states rust-version {stated}, but the locked "
                f"{need['name']} {need['version']} needs {need['rust_version']}. Raise "
                f"rust-version in Cargo.toml (and the README) to {need['rust_version']}",
                file=sys.stderr,
            )
            failed = True
        else:
            print(f"rust-version check: {p['name']} states {stated}; the lock needs {need['rust_version']} ({need['name']})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
