#!/bin/sh
# Installs the Debian 12 packages ensign's build, tests and benchmarks need.
# Run as root (or through sudo); non-interactive; skips what is already present.
set -eu
PKGS="build-essential make gcc clang libclang-rt-14-dev pkg-config \
libssl-dev openssl libelf-dev libxml2-dev libjansson-dev libarchive-dev \
libp11-kit-dev softhsm2 opensc umoci skopeo cpio xxd python3 valgrind \
libcurl4-openssl-dev docker-registry apache2-utils"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && { echo "install-deps: all packages present"; exit 0; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
