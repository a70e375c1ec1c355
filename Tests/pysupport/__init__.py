"""Test support shared by every Python suite under Tests/ and every benchmark under bench/: the real
processes (registry, sidecar, `chatixia run` agent, coturn, rtc-interop-peer, outside a2a-sdk agents), an
agent's end of a sidecar's IPC socket, free ports, waiting for a condition, JSON calls to a registry's HTTP API
and its hub event stream, a load of task submissions, network namespaces for the end-to-end suite, headless
Chromium, an A2A client, and the benchmarks' measurements and report section.

Importable as `pysupport` with Tests/ on PYTHONPATH, which every run.sh sets (scripts/lib.sh)."""
