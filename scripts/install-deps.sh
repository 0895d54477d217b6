#!/usr/bin/env bash
# Installs everything recoverysim needs to build, test and plot, from Debian's packages.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libeigen3-dev libtbb-dev libcli11-dev libyaml-cpp-dev libhdf5-dev hdf5-tools
  doctest-dev librandom123-dev
  openmpi-bin libopenmpi-dev slurm-wlm munge
  clang-14 libfuzzer-14-dev clang-format-14 clang-tidy-14 editorconfig
  qemu-user
  python3 python3-h5py python3-numpy python3-matplotlib python3-scipy python3-yaml
  chromium python3-websocket
  r-base-core r-cran-hdf5r r-bioc-rhdf5
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
