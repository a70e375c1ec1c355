import ChatixiaAgent
import Foundation
import Testing

@Suite struct CredentialTests {
    @Test func aPairedDeviceTokenWinsThenEnvironmentThenManifest() throws {
        let directory = try TemporaryDirectory()
        var manifest = Manifest(file: directory.url.appendingPathComponent("agent.yaml"))
        #expect(throws: CredentialResolution.Missing.self) { try CredentialResolution.resolve(manifest: manifest, environment: [:]) }
        manifest.sidecar.apiKey = "from-manifest"
        #expect(try CredentialResolution.resolve(manifest: manifest, environment: [:]) == .apiKey("from-manifest"))
        #expect(try CredentialResolution.resolve(manifest: manifest, environment: ["API_KEY": "from-env"]) == .apiKey("from-env"))
        try CredentialStore(directory: manifest.dataDirectory).store(deviceToken: "dt_0123")
        #expect(try CredentialResolution.resolve(manifest: manifest, environment: ["API_KEY": "from-env"]) == .deviceToken("dt_0123"))
    }

    @Test func theDeviceTokenIsOwnerOnly() throws {
        let directory = try TemporaryDirectory()
        let store = CredentialStore(directory: directory.url.appendingPathComponent(".chatixia"))
        try store.store(deviceToken: "dt_secret")
        try store.store(deviceToken: "dt_replaced")
        let attributes = try FileManager.default.attributesOfItem(atPath: store.deviceTokenFile.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let directoryAttributes = try FileManager.default.attributesOfItem(atPath: store.directory.path)
        #expect((directoryAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(store.deviceToken() == "dt_replaced")
        // Only the token file is left: no temporary copies.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path) == ["device_token"])
    }
}
