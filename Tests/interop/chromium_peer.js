// The Chromium side of test_chromium.py, loaded by chromium_peer.html. It defines window.peer: one
// RTCPeerConnection (no ICE servers) and its "mesh" data channel. What happens is queued as plain
// objects that the test collects with peer.drain(); binary data crosses the WebDriver boundary as
// base64.
window.peer = (() => {
    const events = [];
    let pc = null;
    let channel = null;

    const toBase64 = (buffer) => {
        const bytes = new Uint8Array(buffer);
        let text = "";
        for (let i = 0; i < bytes.length; i += 0x8000) {
            text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        }
        return btoa(text);
    };
    const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

    const attach = (dc) => {
        channel = dc;
        dc.binaryType = "arraybuffer";
        dc.onopen = () => events.push({ type: "open", label: dc.label });
        dc.onclose = () => events.push({ type: "closed" });
        dc.onerror = (e) => events.push({ type: "channel_error", error: String(e.error && e.error.message) });
        dc.onmessage = (e) => events.push(typeof e.data === "string"
            ? { type: "message", text: e.data }
            : { type: "message", binary: toBase64(e.data) });
    };

    return {
        start() {
            pc = new RTCPeerConnection({ iceServers: [] });
            pc.onicecandidate = (e) => {
                // null (and an empty string in some versions) ends gathering: nothing to relay.
                if (e.candidate && e.candidate.candidate) {
                    events.push({ type: "candidate", candidate: e.candidate.candidate });
                }
            };
            pc.onconnectionstatechange = () => events.push({ type: "state", state: pc.connectionState });
            pc.ondatachannel = (e) => attach(e.channel);
        },
        async createOffer() {
            attach(pc.createDataChannel("mesh"));
            await pc.setLocalDescription();
            return pc.localDescription.sdp;
        },
        async acceptOffer(sdp) {
            await pc.setRemoteDescription({ type: "offer", sdp });
            await pc.setLocalDescription();
            return pc.localDescription.sdp;
        },
        async acceptAnswer(sdp) {
            await pc.setRemoteDescription({ type: "answer", sdp });
        },
        async addCandidate(candidate) {
            await pc.addIceCandidate({ candidate, sdpMLineIndex: 0 });
        },
        maxMessageSize() {
            return pc.sctp ? pc.sctp.maxMessageSize : null;
        },
        sendText(text) {
            channel.send(text);
        },
        sendBinary(base64) {
            channel.send(fromBase64(base64));
        },
        closeChannel() {
            channel.close();
        },
        channelState() {
            return channel ? channel.readyState : null;
        },
        close() {
            if (pc) pc.close();
        },
        drain() {
            return events.splice(0);
        },
    };
})();
