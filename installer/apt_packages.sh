# Shared by install.sh and test.sh: make sure Debian packages are installed.
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
