# shellcheck shell=bash
# Shared by install.sh, test.sh and build-bundle.sh: the Debian packages the product needs at
# run time, and a function that makes sure Debian packages are installed.

# Headless OpenGL (Mesa EGL + llvmpipe) for rendering, and what Qt's wheels expect from the
# system for the studio window (fonts, X11/xcb, D-Bus, audio output); the rest ships in wheels
# (or in the standalone bundle).
# shellcheck disable=SC2034  # used by the scripts that source this file
runtime_packages=(
    libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libgbm1
    libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
    libx11-xcb1 libxrender1 libxi6 libsm6 libice6 libxcb-cursor0 libxcb-icccm4
    libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
    libxcb-xkb1 libxcb-randr0 libpulse0
)

# ensure_packages WHAT PKG...: installs the missing ones with apt-get when root; otherwise
# prints the exact apt-get line to run and exits with status 2.

ensure_packages() {
    local what="$1"
    shift
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ]; then
        echo "Installing $what: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "error: missing $what; run this, then run the same command again:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 2
    fi
}
