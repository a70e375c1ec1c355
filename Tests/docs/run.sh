#!/usr/bin/env bash
# Checks that docs/PROTOCOL.md lists exactly the routes, signaling types, hub events, IPC commands and
# events and mesh message types the Swift sources define, and that every test and path the docs cite
# exists. Plain Python 3 standard library: no build, no virtual environment, well under a second.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 Tests/docs/check_protocol.py "$@"
