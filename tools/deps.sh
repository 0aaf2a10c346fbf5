#!/bin/sh
# Installs the Debian packages ODIN needs (DESIGN.md), only those missing.
# Runs `apt-get update` once, and only when something must be installed.
set -e
PKGS="llvm-19-dev lld-19 clang-19 libclang-rt-19-dev wasi-libc protobuf-c-compiler chromium
libprotobuf-c-dev libonnx-dev libonnx-testdata libxxhash-dev uthash-dev flatbuffers-compiler
graphviz python3-torch python3-torchvision python3-onnx qemu-user libc6-dev-arm64-cross
libgcc-12-dev-arm64-cross"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
