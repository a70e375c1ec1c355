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
