#!/usr/bin/env bash
# Run Affect Studio's whole test suite on a Debian/Ubuntu machine, installing what it needs:
# the package with its test tools (installer/install.sh --dev), the system tools the tests use
# (eSpeak NG for synthetic speech with exact timings, Node.js for the Khronos glTF validator),
# then ruff, the import-linter layer contracts and pytest.
#
# Usage: bash installer/test.sh [extra pytest arguments]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

bash installer/install.sh --dev

test_packages=(espeak-ng libespeak-ng1 nodejs npm)
missing=()
for pkg in "${test_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if command -v node >/dev/null && command -v npm >/dev/null; then
        # Node.js is already there (installed another way): only eSpeak NG may be missing.
        keep=()
        for pkg in "${missing[@]}"; do
            case "$pkg" in nodejs|npm) ;; *) keep+=("$pkg") ;; esac
        done
        missing=("${keep[@]+"${keep[@]}"}")
    fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "Installing test tools: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "error: missing test tools; run this, then run the tests again:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 2
    fi
fi

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
