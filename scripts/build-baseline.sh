#!/usr/bin/env bash
# Builds the `ebr` release binary of an earlier commit, for `make bench` to
# measure against in the same run (the machines are shared and noisy: a
# figure from another day is no baseline). Usage: build-baseline.sh COMMIT OUT
set -euo pipefail
commit="$1"
out="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/target/baseline"
src="$work/src-$commit"
if ! git -C "$root" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "bench: baseline commit $commit is not in this clone's history; fetch it (git fetch --unshallow) or set BASELINE_COMMIT" >&2
    exit 1
fi
mkdir -p "$work"
echo "bench: building the baseline server at $commit (release; once, then kept in target/baseline)"
rm -rf "$src"
git -C "$root" worktree prune
git -C "$root" worktree add --detach --force "$src" "$commit" >/dev/null
trap 'git -C "$root" worktree remove --force "$src" >/dev/null 2>&1 || rm -rf "$src"' EXIT
cargo build --quiet --release --bin ebr --manifest-path "$src/Cargo.toml" --target-dir "$work/target"
cp "$work/target/release/ebr" "$out.tmp"
mv "$out.tmp" "$out"
echo "bench: baseline server ready: $out"
