#!/usr/bin/env bash
# Add Affect Studio to the desktop for the current user (Linux, freedesktop.org desktops):
# a menu entry that runs `EXECUTABLE gui [FILE]`, the application icon (SVG and a 256x256
# PNG), and the project file type (*.affect.json, application/x-affect-studio-project), so
# that double-clicking a project opens it in the studio. The files go under
# ${XDG_DATA_HOME:-~/.local/share}; the desktop, MIME and icon databases are refreshed with
# the tools that are installed (none of them is required).
#
# Usage: bash installer/desktop.sh EXECUTABLE   EXECUTABLE: the affect-studio command, e.g.
#                                               .venv/bin/affect-studio (install.sh --desktop)
#        bash installer/desktop.sh --remove     remove exactly these files again
#
# It reads installer/desktop/ and assets/icons/app.svg from the same tree.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
templates="$here/desktop"
svg_source="$here/../assets/icons/app.svg"

fail() {
    echo "error: $*" >&2
    exit 2
}

remove=0
executable=""
for arg in "$@"; do
    case "$arg" in
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        --remove) remove=1 ;;
        -*) fail "unknown option $arg (use EXECUTABLE, --remove or --help)" ;;
        *)
            [ -z "$executable" ] || fail "more than one executable given ($executable, $arg)"
            executable="$arg"
            ;;
    esac
done
if [ "$remove" = 1 ] && [ -n "$executable" ]; then
    fail "--remove takes no executable"
fi
if [ "$remove" = 0 ] && [ -z "$executable" ]; then
    fail "give the affect-studio command to run, e.g.: bash installer/desktop.sh .venv/bin/affect-studio"
fi
if [ "$(uname -s)" = Darwin ]; then
    fail "desktop entries are for Linux desktops; on macOS start the studio with .venv/bin/affect-studio"
fi

# The XDG base directory rule: a relative or empty XDG_DATA_HOME is ignored.
data_home="${XDG_DATA_HOME:-}"
case "$data_home" in
    /*) ;;
    *)
        [ -n "${HOME:-}" ] || fail "neither XDG_DATA_HOME nor HOME is set"
        data_home="$HOME/.local/share"
        ;;
esac
desktop_file="$data_home/applications/affect-studio.desktop"
svg_icon="$data_home/icons/hicolor/scalable/apps/affect-studio.svg"
png_icon="$data_home/icons/hicolor/256x256/apps/affect-studio.png"
mime_file="$data_home/mime/packages/affect-studio.xml"
installed_files=("$desktop_file" "$svg_icon" "$png_icon" "$mime_file")

# Rebuild the per-user databases from what is in the folders now.
refresh() {
    if [ -d "$data_home/mime/packages" ] && command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$data_home/mime" \
            || echo "warning: update-mime-database failed; log out and in to see the file type" >&2
    fi
    if [ -d "$data_home/applications" ] && command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$data_home/applications" \
            || echo "warning: update-desktop-database failed" >&2
    fi
    if [ -d "$data_home/icons/hicolor" ]; then
        touch "$data_home/icons/hicolor"  # icon theme readers look again when this changes
        # Only an existing cache is updated: a new one would outlive these icons.
        if [ -f "$data_home/icons/hicolor/icon-theme.cache" ] \
            && command -v gtk-update-icon-cache >/dev/null 2>&1; then
            gtk-update-icon-cache -q -t -f "$data_home/icons/hicolor" \
                || echo "warning: gtk-update-icon-cache failed" >&2
        fi
    fi
}

if [ "$remove" = 1 ]; then
    removed=0
    for file in "${installed_files[@]}"; do
        if [ -e "$file" ] || [ -L "$file" ]; then
            rm -f -- "$file"
            echo "Removed $file"
            removed=1
        fi
    done
    if [ "$removed" = 1 ]; then
        refresh
    else
        echo "Nothing to remove: no Affect Studio desktop entry, icons or file type under $data_home"
    fi
    exit 0
fi

for source in "$templates/affect-studio.desktop.in" "$templates/affect-studio.xml" \
    "$templates/affect-studio-256.png" "$svg_source"; do
    [ -f "$source" ] || fail "$source is missing (run this script from a complete checkout)"
done
case "$executable" in
    *[[:cntrl:]]*) fail "the executable's path contains control characters" ;;
    # A valid entry (%% in Exec), but GLib's desktops look for a program named with %% and hide it.
    *%*) fail "the executable's path contains %, which desktop menus cannot launch; move it" ;;
    /*) ;;
    *) executable="$PWD/$executable" ;;
esac
if [ ! -f "$executable" ] || [ ! -x "$executable" ]; then
    fail "$executable is not an executable file (give the affect-studio command)"
fi
executable="$(cd "$(dirname "$executable")" && pwd)/$(basename "$executable")"

# Desktop entry values: Exec quotes its argument (escaping " \` $ \ inside the quotes) and
# doubles %; every value then escapes its backslashes once more.
exec_arg="$(printf '%s\n' "$executable" \
    | sed -e 's/[\\"`$]/\\&/g' -e 's/.*/"&"/' -e 's/\\/\\\\/g' -e 's/%/%%/g')"
try_exec="$(printf '%s\n' "$executable" | sed -e 's/\\/\\\\/g')"

# Each file is written beside its target and moved into place, so none is ever half-written.
put() {  # put SOURCE TARGET
    local tmp
    mkdir -p "$(dirname "$2")"
    tmp="$(mktemp "$2.XXXXXX")"
    cat "$1" >"$tmp"
    chmod 644 "$tmp"
    mv -f "$tmp" "$2"
}

entry="$(mktemp)"
trap 'rm -f "$entry"' EXIT
{
    cat "$templates/affect-studio.desktop.in"
    printf 'TryExec=%s\n' "$try_exec"
    printf 'Exec=%s gui %%f\n' "$exec_arg"
} >"$entry"
put "$entry" "$desktop_file"
put "$svg_source" "$svg_icon"
put "$templates/affect-studio-256.png" "$png_icon"
put "$templates/affect-studio.xml" "$mime_file"
echo "Installed the desktop entry for $executable:"
printf '  %s\n' "${installed_files[@]}"
refresh
echo "Affect Studio is in the applications menu; *.affect.json projects open in it."
echo "To remove it: bash $here/desktop.sh --remove"
