#!/usr/bin/env bash
# Run Affect Studio's whole test suite on a Debian/Ubuntu machine, installing what it needs:
# the package with its test tools (installer/install.sh --dev), the system tools the tests use
# (eSpeak NG for synthetic speech with exact timings, Node.js for the Khronos glTF validator,
# Xvfb for the studio window's OpenGL tests, freedesktop tools for the desktop entry's tests),
# then ruff, the import-linter layer contracts and pytest.
#
# Usage: bash installer/test.sh [extra pytest arguments]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

bash installer/install.sh --dev
# OpenUSD for the .usda/.usd export tests, Ray for the Ray batch backend's tests and
# torch + diffusers for the talking-head generator's tests on tiny models: the optional "usd",
# "cluster" and "diffusion" extras (large, so install.sh leaves them out). torch is pinned
# first, so that the extra's range is met by that release and pip picks no newer one.
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[usd,cluster,diffusion]"
# The Ray tests start a local Ray instance: it must not report usage over the network.
export RAY_USAGE_STATS_ENABLED=0

# Node.js may already be there, installed another way: then only eSpeak NG, Xvfb (a virtual
# screen for the tests of the real OpenGL window, started by the tests) and the freedesktop
# tools that check the desktop entry and the project file type (desktop-file-validate,
# update-mime-database, xdg-mime, gio) are needed.
test_packages=(espeak-ng libespeak-ng1 xvfb desktop-file-utils shared-mime-info xdg-utils
    libglib2.0-bin)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    test_packages+=(nodejs npm)
fi
# shellcheck source=installer/apt_packages.sh
source "$here/installer/apt_packages.sh"
ensure_packages "test tools" "${test_packages[@]}"

# The Khronos glTF validator, kept in a cache folder inside the repository (git-ignored).
validator_dir="$here/.cache/gltf-validator"
if [ ! -f "$validator_dir/node_modules/gltf-validator/package.json" ]; then
    mkdir -p "$validator_dir"
    npm install --silent --no-audit --no-fund --prefix "$validator_dir" \
        gltf-validator@2.0.0-dev.3.10 >/dev/null \
        || { echo "error: could not install the glTF validator with npm (see above)" >&2; exit 2; }
fi
export AFFECT_GLTF_VALIDATOR_DIR="$validator_dir"

.venv/bin/ruff check .
.venv/bin/lint-imports

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
