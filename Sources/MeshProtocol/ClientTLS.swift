import NIOSSL

/// TLS for the clients of the registry (`https://`, `wss://`): the system trust store, plus the PEM
/// certificates in `CA_FILE` for a registry whose certificate comes from a private CA.
public enum ClientTLS {
    public static func configuration(caFile: String?) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
        return tls
    }
}
