// The types PeerConnection's API speaks in (ICE servers and candidates, DTLS identities and fingerprints, session
// descriptions, DataChannel messages, the random source) come with it, so its users import PeerConnection alone.
@_exported import DTLS
@_exported import DataChannel
@_exported import ICE
@_exported import SDP
@_exported import SansIO
