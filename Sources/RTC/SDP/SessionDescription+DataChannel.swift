extension SessionDescription {
    /// The first data channel m-section, its values resolved against the session level (the
    /// m-section wins) and RFC defaults. Fails if there is none, if it was rejected (port 0 without
    /// `a=bundle-only`), or if ICE credentials or a fingerprint are missing at both levels.
    public func dataChannelDescription() throws(SDPParseError) -> DataChannelDescription {
        guard let section = media.first(where: \.isDataChannel) else { throw .noDataChannelMedia }
        guard section.port != 0 || section.otherAttributes.contains(where: { $0.name == "bundle-only" }) else {
            throw .dataChannelRejected
        }
        guard let iceUfrag = section.iceUfrag ?? iceUfrag, let icePwd = section.icePwd ?? icePwd else {
            throw .missingICECredentials
        }
        let fingerprints = section.fingerprints.isEmpty ? self.fingerprints : section.fingerprints
        guard !fingerprints.isEmpty else { throw .missingFingerprint }

        // Legacy sections name the SCTP port as their format: `m=application 9 DTLS/SCTP 5000`.
        let legacyPort = section.formats.first.flatMap { SDPText.decimal($0, as: UInt16.self) }
        return DataChannelDescription(
            mid: section.mid,
            iceUfrag: iceUfrag,
            icePwd: icePwd,
            iceOptions: section.iceOptions.isEmpty ? iceOptions : section.iceOptions,
            iceLite: iceLite,
            fingerprints: fingerprints,
            setup: section.setup ?? setup ?? .active,
            sctpPort: section.sctpPort ?? legacyPort ?? DataChannelDescription.defaultSCTPPort,
            maxMessageSize: section.maxMessageSize ?? DataChannelDescription.defaultMaxMessageSize,
            candidates: section.candidates,
            endOfCandidates: section.endOfCandidates || endOfCandidates
        )
    }

    /// A data-channel-only offer or answer in the shape Chromium writes and accepts:
    ///
    ///     v=0
    ///     o=- <sessionID> <sessionVersion> IN IP4 127.0.0.1
    ///     s=-
    ///     t=0 0
    ///     a=group:BUNDLE 0
    ///     a=extmap-allow-mixed          (if asked)
    ///     a=msid-semantic: WMS
    ///     m=application 9 UDP/DTLS/SCTP webrtc-datachannel
    ///     c=IN IP4 0.0.0.0
    ///     a=ice-ufrag, a=ice-pwd, a=ice-options, a=fingerprint..., a=setup, a=mid,
    ///     a=sctp-port, a=max-message-size, a=candidate..., a=end-of-candidates
    ///
    /// `sessionID` should be random and below 2^63 (RFC 8866 section 5.2); the caller draws it, so
    /// this stays free of random sources. Bump `sessionVersion` for each new description.
    public init(dataChannel: DataChannelDescription, sessionID: UInt64, sessionVersion: UInt64 = 2,
                extmapAllowMixed: Bool = false)
    {
        let section = MediaDescription(
            kind: "application", port: 9, proto: MediaDescription.dataChannelProto,
            formats: [MediaDescription.dataChannelFormat], connection: .unspecified, mid: dataChannel.mid,
            iceUfrag: dataChannel.iceUfrag, icePwd: dataChannel.icePwd, iceOptions: dataChannel.iceOptions,
            fingerprints: dataChannel.fingerprints, setup: dataChannel.setup, sctpPort: dataChannel.sctpPort,
            maxMessageSize: dataChannel.maxMessageSize, candidates: dataChannel.candidates,
            endOfCandidates: dataChannel.endOfCandidates)
        self.init(origin: SDPOrigin(sessionID: sessionID, sessionVersion: sessionVersion),
                  groups: dataChannel.mid.map { [.bundle([$0])] } ?? [], extmapAllowMixed: extmapAllowMixed,
                  msidSemantic: "WMS", iceLite: dataChannel.iceLite, media: [section])
    }
}
