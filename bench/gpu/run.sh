#!/usr/bin/env bash
# Runs the training-speed bench from the bundle bench/gpu/pack.sh made, on a host with no Node: unpacks it into a
# scratch root, points Dawn at the host's Vulkan driver (the bundled loader and C++ runtime only where the host lacks
# them; an ICD file for the NVIDIA driver when the container has its libraries but no ICD file), checks the adapter,
# then runs bench/train-step.mjs against PyTorch (CUDA fp32 eager when torch sees a GPU, else the CPU) and writes the
# JSON + markdown results, which carry the adapter description, to OUT. Stops after 8 minutes.
# Usage: bench/gpu/run.sh [--bundle DIR] [--root DIR] [--out DIR] [--python PY] [--torch-device cuda|cpu]
#                         [-- extra bench/train-step.mjs flags, e.g. --only 'unet|matmul' --peak-tflops 67]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bundle=$here/bundle
scratch=${TMPDIR:-/tmp}/radix-gpu-bench-root
out=$here/out
python=${RADIX_BENCH_PYTHON:-python3}
torch_device=auto
budget=${RADIX_GPU_BENCH_SECONDS:-470}
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=$2; shift 2 ;;
    --root) scratch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    --torch-device) torch_device=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown argument $1 (see the usage at the top of $0)" >&2; exit 64 ;;
  esac
done
die() { echo "run.sh: $*" >&2; exit 1; }
tarball=$bundle/radix-gpu-bench.tar.xz
[ -f "$tarball" ] || die "$tarball is missing: run bench/gpu/pack.sh first"
start=$(date +%s)

# ---- unpack (xz, or Python's lzma where the host has no xz) ----
rm -rf "$scratch/radix-gpu-bench"
mkdir -p "$scratch"
if command -v xz >/dev/null; then xz -dc "$tarball" | tar -C "$scratch" -xf -
else "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$tarball" "$scratch"; fi
R=$scratch/radix-gpu-bench
echo "run.sh: unpacked into $R in $(( $(date +%s) - start )) s"

# ---- libraries: the host's where it has them ----
libs=()
ldcache=$(ldconfig -p 2>/dev/null || true)
have_lib() { case "$ldcache" in *"$1"*) return 0 ;; esac; [ -n "$(find /usr/lib /usr/lib64 /lib /usr/local/lib -name "$1*" 2>/dev/null | head -n 1 || true)" ]; }
# RADIX_GPU_BENCH_BUNDLED_LIBS=1 uses the bundled loader and C++ runtime even where the host has its own (a test).
forced=${RADIX_GPU_BENCH_BUNDLED_LIBS:-0}
[ "$forced" = 1 ] && ldcache= && libs+=("$R/lib/libvulkan.so.1" "$R/lib/libstdc++.so.6" "$R/lib/libgcc_s.so.1")
[ "$forced" = 1 ] || have_lib libvulkan.so.1 || { libs+=("$R/lib/libvulkan.so.1"); echo "run.sh: host has no Vulkan loader; using the bundled one"; }
host_cxx=$(printf '%s\n' "$ldcache" | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF}' | tail -n 1)
if [ "$forced" != 1 ] && { [ -z "$host_cxx" ] || ! grep -q GLIBCXX_3.4.30 "$host_cxx" 2>/dev/null; }; then
  libs+=("$R/lib/libstdc++.so.6" "$R/lib/libgcc_s.so.1"); echo "run.sh: host libstdc++ lacks GLIBCXX_3.4.30; using the bundled one"
fi
mkdir -p "$R/hostlib"
for l in "${libs[@]}"; do ln -sf "$l" "$R/hostlib/"; done
[ ${#libs[@]} -eq 0 ] || export LD_LIBRARY_PATH=$R/hostlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# ---- Vulkan ICD for the NVIDIA driver (containers often mount the driver but not its ICD file) ----
icd_found=$( (ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null || true) | grep -i nvidia | tail -n 1 || true)
if [ -z "$icd_found" ] && [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && have_lib libGLX_nvidia.so.0; then
  mkdir -p "$R/icd"
  printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "libGLX_nvidia.so.0", "api_version": "1.3.0" } }\n' > "$R/icd/nvidia_icd.json"
  export VK_DRIVER_FILES=$R/icd/nvidia_icd.json VK_ICD_FILENAMES=$R/icd/nvidia_icd.json
  echo "run.sh: no NVIDIA ICD file on the host; wrote one for libGLX_nvidia.so.0"
fi

# ---- the adapter ----
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
node=$R/bin/node
echo "run.sh: node $("$node" -v)${LD_LIBRARY_PATH:+, LD_LIBRARY_PATH=$LD_LIBRARY_PATH}"
if ! adapter=$("$node" "$R/bench/adapter.mjs"); then
  echo "run.sh: Dawn found no Vulkan adapter. ICD files: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' ')" >&2
  echo "run.sh: in a container, the NVIDIA Vulkan driver needs NVIDIA_DRIVER_CAPABILITIES to include graphics (e.g. all)" >&2
  exit 2
fi
echo "run.sh: adapter $adapter"

# ---- PyTorch: CUDA when torch sees a GPU ----
if [ "$torch_device" = auto ]; then
  torch_device=$("$python" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2>/dev/null) || torch_device=none
fi
echo "run.sh: PyTorch device: $torch_device"

mkdir -p "$out"
left=$(( budget - ($(date +%s) - start) ))
args=(--no-cpu --reps 5 --matmul 4096 --tag gpu --out "$out" --python "$python")
if [ "$torch_device" = none ]; then args+=(--no-torch); else args+=(--torch-device "$torch_device"); fi
printf '%s\n' "$adapter" > "$out/adapter.json"
timeout "$left" "$node" "$R/bench/train-step.mjs" "${args[@]}" "${extra[@]}"
echo "run.sh: done in $(( $(date +%s) - start )) s; results in $out"
