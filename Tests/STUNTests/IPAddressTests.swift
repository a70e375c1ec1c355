import Testing
import STUN

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0"), ("192.0.2.1", "192.0.2.1"), ("255.255.255.255", "255.255.255.255"),
        ("::", "::"), ("::1", "::1"), ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("fe80::1:2:3:4", "fe80::1:2:3:4"),
        ("::ffff:192.0.2.9", "::ffff:192.0.2.9"), ("::ffff:c000:209", "::ffff:192.0.2.9"),
        ("1::", "1::"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("64:ff9b::198.51.100.1", "64:ff9b::c633:6401"),
    ])
    func parsesAndFormatsCanonically(input: String, canonical: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
        #expect(IPAddress(bytes: address.bytes) == address)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
        ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::", "fe80::1%eth0",
        "[::1]", "1.2.3.4::", "::1.2.3", "1:2:3:4:5:6:7::8", "example.local",
    ])
    func rejectsMalformedText(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func classifiesAddresses() throws {
        #expect(IPAddress("127.0.0.5")!.isLoopback && IPAddress("::1")!.isLoopback)
        #expect(IPAddress("0.0.0.0")!.isUnspecified && IPAddress("::")!.isUnspecified)
        #expect(IPAddress("169.254.1.1")!.isLinkLocal && IPAddress("fe80::1")!.isLinkLocal && IPAddress("febf::1")!.isLinkLocal)
        #expect(!IPAddress("fec0::1")!.isLinkLocal && !IPAddress("10.0.0.1")!.isLinkLocal)
        #expect(IPAddress.v4(0xC000_0201).bytes == [192, 0, 2, 1])
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test func transportAddressesUseBracketsForIPv6() {
        #expect(TransportAddress("192.0.2.1:3478")?.description == "192.0.2.1:3478")
        #expect(TransportAddress("[2001:db8::1]:0")?.description == "[2001:db8::1]:0")
        for bad in ["192.0.2.1", "2001:db8::1:80", "[192.0.2.1]:1", "1.2.3.4:65536", "1.2.3.4:", "[::1]:x", "1.2.3.4:+1"] {
            #expect(TransportAddress(bad) == nil, "\(bad)")
        }
    }
}
