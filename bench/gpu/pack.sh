#!/usr/bin/env bash
# Packs the GPU bench bundle for a bare NVIDIA host that has PyTorch with CUDA but no Node: Node's binary, the
# `webgpu` package's dawn.node (linux-x64), the built @radix/tensor-webgpu (and @radix/gan with its imports, for the
# StyleGAN2 row), the train-step bench scripts and the
# Vulkan loader (libvulkan1) plus libstdc++6/libgcc-s1 (dawn.node needs GLIBCXX_3.4.30; used only where the host's
# is older), downloaded with `apt-get download` and unpacked. Everything goes into one xz tarball in
# bench/gpu/bundle/ (git-ignored; fails above 64 MiB) with a MANIFEST.txt. bench/gpu/run.sh unpacks and runs it.
# Usage (after `npm run build`): bench/gpu/pack.sh [OUT_DIR]      (default bench/gpu/bundle)
#   RADIX_PACK_NODE=/path/to/node   Node binary to bundle (default: the `node` on PATH; must be linux-x64)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$here/bundle}
node_bin=$(readlink -f "${RADIX_PACK_NODE:-$(command -v node)}")
limit=$((64 * 1024 * 1024))

die() { echo "pack.sh: $*" >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "packs linux-x64 binaries; this is $(uname -s)-$(uname -m)"
"$node_bin" -e 'process.exit(process.platform === "linux" && process.arch === "x64" ? 0 : 1)' || die "$node_bin is not a linux-x64 Node"
core="$root/packages/tensor-webgpu"
[ -f "$core/dist/index.js" ] || die "build the core first (npm run build -w @radix/tensor-webgpu): $core/dist/index.js is missing"
webgpu_pkg=$(cd "$core" && "$node_bin" -e 'console.log(require("path").dirname(require.resolve("webgpu/package.json")))') \
  || die "the webgpu package is not installed (npm install)"
dawn="$webgpu_pkg/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || die "$dawn is missing"
command -v apt-get >/dev/null || die "apt-get is needed to download the Vulkan loader"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack the Vulkan loader"
command -v xz >/dev/null || die "xz is needed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/radix-gpu-bench"
mkdir -p "$stage"/{bin,lib,bench/src,bench/results,node_modules/@radix/tensor-webgpu/dist,node_modules/webgpu/dist/linux-x64}

cp "$node_bin" "$stage/bin/node"
cp "$core/package.json" "$stage/node_modules/@radix/tensor-webgpu/"
# The ESM build only (the bench imports it): no CommonJS copies, source maps or type declarations.
find "$core/dist" -maxdepth 1 -name '*.js' -exec cp {} "$stage/node_modules/@radix/tensor-webgpu/dist/" \;
cp "$webgpu_pkg/package.json" "$webgpu_pkg/index.js" "$stage/node_modules/webgpu/"
cp "$dawn" "$stage/node_modules/webgpu/dist/linux-x64/"
# The StyleGAN2 row: @radix/gan and what it imports (@radix/augment, @radix/metrics, pngjs), ESM builds only, and the
# network fixture its PyTorch side checks itself against.
for pkg in gan augment metrics; do
  [ -f "$root/packages/$pkg/dist/index.js" ] || die "build first (npm run build): packages/$pkg/dist/index.js is missing"
  mkdir -p "$stage/node_modules/@radix/$pkg/dist"
  cp "$root/packages/$pkg/package.json" "$stage/node_modules/@radix/$pkg/"
  find "$root/packages/$pkg/dist" -maxdepth 1 -name '*.js' -exec cp {} "$stage/node_modules/@radix/$pkg/dist/" \;
done
pngjs=$(cd "$root/packages/gan" && "$node_bin" -e 'console.log(require("path").dirname(require.resolve("pngjs/package.json")))') \
  || die "the pngjs package is not installed (npm install)"
mkdir -p "$stage/node_modules/pngjs" "$stage/packages/gan/fixtures/networks"
cp -r "$pngjs/package.json" "$pngjs/lib" "$stage/node_modules/pngjs/"
cp "$root/packages/gan/fixtures/networks/uncond.safetensors" "$root/packages/gan/fixtures/networks/networks.json" "$stage/packages/gan/fixtures/networks/"
cp "$root/bench/train-step.mjs" "$stage/bench/"
cp "$root/bench/src/results.mjs" "$root"/bench/src/train-step-*.mjs "$root/bench/src/train-step-torch.py" \
  "$root/bench/src/gan-spec.mjs" "$root/bench/src/gan-ours.mjs" "$root/bench/src/gan-torch.py" "$stage/bench/src/"
cp "$here/adapter.mjs" "$stage/bench/"
# bench/ resolves @radix/tensor-webgpu and webgpu from ../node_modules; mark it ESM like the repo's bench package.
printf '{ "name": "@radix/bench", "private": true, "type": "module" }\n' > "$stage/bench/package.json"

# Vulkan loader and C++ runtime from this machine's apt sources.
debs="$work/debs"
mkdir -p "$debs"
(cd "$debs" && apt-get download libvulkan1 libstdc++6 libgcc-s1 2>&1 >/dev/null | grep -v 'unsandboxed' >&2 || true; ls "$debs"/libvulkan1_*.deb >/dev/null 2>&1) || die "apt-get download failed (run apt-get update?)"
for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$work/x"; done
for so in libvulkan.so.1 libstdc++.so.6 libgcc_s.so.1; do
  # The library itself (libstdc++6 also ships a gdb script named after it).
  f=$(find "$work/x" -path '*/x86_64-linux-gnu/*' -name "$so*" ! -name '*.py' -type f | sort | tail -n 1)
  [ -n "$f" ] || die "$so not found in the downloaded packages"
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || die "$f is not an ELF library"
  cp "$f" "$stage/lib/$so"
done

{
  echo "radix GPU bench bundle"
  echo "packed: $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "node: $("$node_bin" -v) ($node_bin)"
  echo "webgpu (dawn.node): $("$node_bin" -p "require('$webgpu_pkg/package.json').version")"
  for d in "$debs"/*.deb; do echo "deb: $(dpkg-deb -f "$d" Package) $(dpkg-deb -f "$d" Version)"; done
  echo
  (cd "$stage" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
} > "$work/MANIFEST.txt"
mv "$work/MANIFEST.txt" "$stage/MANIFEST.txt"

mkdir -p "$out"
tarball="$out/radix-gpu-bench.tar.xz"
tar -C "$work" -cf - radix-gpu-bench | xz -6 -T2 > "$tarball.tmp"
size=$(stat -c %s "$tarball.tmp")
[ "$size" -lt "$limit" ] || { rm -f "$tarball.tmp"; die "bundle is $size bytes, over the 64 MiB limit"; }
mv "$tarball.tmp" "$tarball"
cp "$stage/MANIFEST.txt" "$out/MANIFEST.txt"
echo "pack.sh: $tarball ($((size / 1024 / 1024)) MiB; unpacked $(du -sm "$stage" | cut -f1) MiB)"
