#!/usr/bin/env bash
# Install prunekit's build dependencies from Debian's apt (idempotent). Needs root or sudo.
set -euo pipefail
PKGS=(libtorch-dev libopenblas0-pthread libcli11-dev nlohmann-json3-dev libsentencepiece-dev
      libspdlog-dev libgtest-dev zlib1g-dev libpcre2-dev libutf8proc-dev libyaml-cpp-dev cmake ninja-build g++ ccache gnuplot-nox
      clang)  # clang: libFuzzer (scripts/fuzz.sh)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
