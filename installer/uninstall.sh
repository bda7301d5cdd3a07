#!/usr/bin/env bash
# Undo installer/install.sh for the current user: remove the desktop entry, icons and project
# file type that --desktop installed under ${XDG_DATA_HOME:-~/.local/share} and refresh those
# databases; with --all also this repository's .venv. Nothing else is touched: projects,
# settings and the system packages stay. Running it again finds nothing to remove.
#
# Usage: bash installer/uninstall.sh [--all]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

all=0
for arg in "$@"; do
    case "$arg" in
        --all) all=1 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "error: unknown option $arg (use --all or nothing)" >&2; exit 2 ;;
    esac
done

bash "$here/installer/desktop.sh" --remove

[ "$all" = 1 ] || exit 0
venv="$here/.venv"
if [ ! -e "$venv" ] && [ ! -L "$venv" ]; then
    echo "Nothing to remove: there is no $venv"
elif [ -L "$venv" ] || [ ! -f "$venv/pyvenv.cfg" ]; then
    echo "error: $venv is not a virtual environment (a link, or no pyvenv.cfg); left in place" >&2
    exit 2
else
    rm -rf -- "$venv"
    echo "Removed $venv"
fi
