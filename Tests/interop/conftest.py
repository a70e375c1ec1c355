import aioice.ice

# aioice leaves out loopback addresses when gathering; the tests run on loopback only (test_aiortc, test_turn).
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
