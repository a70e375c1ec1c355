# Shared helpers for the project's scripts: progress lines and installing what a fresh machine lacks.
say() { printf '\033[1;36m==>\033[0m %s\n' "$*" >&2; }

# Installs the named Debian packages that are not installed yet (apt-get update once, first).
ensure_apt() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Checks that the Swift toolchain is on PATH.
ensure_swift() {
    command -v swift >/dev/null || { echo "swift is not on PATH; install the Swift 6 toolchain first" >&2; exit 1; }
}

# Creates the virtual environment DIR if missing and installs REQUIREMENTS into it unless the Python
# modules named in IMPORTS (a comma list) already import.
ensure_venv() {
    local venv="$1" requirements="$2" imports="$3"
    if [ ! -x "$venv/bin/python" ]; then
        say "creating the Python virtual environment $venv"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
        say "installing Python packages into $venv: $(grep -v '^ *#' "$requirements" | tr '\n' ' ')"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    fi
}
