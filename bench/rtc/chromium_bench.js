// Two RTCPeerConnections in one page, measured the way rtc-bench measures our stack. Driven by
// bench/rtc/bench.py through selenium; every function resolves to plain numbers. A classic script,
// not a module: module scripts do not load from file:// pages.

async function connectPair() {
  const offerer = new RTCPeerConnection();
  const answerer = new RTCPeerConnection();
  offerer.onicecandidate = (event) => event.candidate && answerer.addIceCandidate(event.candidate);
  answerer.onicecandidate = (event) => event.candidate && offerer.addIceCandidate(event.candidate);
  const started = performance.now();
  const channel = offerer.createDataChannel("bench");
  channel.binaryType = "arraybuffer";
  const remoteChannel = new Promise((resolve) => {
    answerer.ondatachannel = (event) => {
      event.channel.binaryType = "arraybuffer";
      if (event.channel.readyState === "open") resolve(event.channel);
      else event.channel.onopen = () => resolve(event.channel);
    };
  });
  const opened = new Promise((resolve) => { channel.onopen = resolve; });
  await offerer.setLocalDescription(await offerer.createOffer());
  await answerer.setRemoteDescription(offerer.localDescription);
  await answerer.setLocalDescription(await answerer.createAnswer());
  await offerer.setRemoteDescription(answerer.localDescription);
  const remote = await remoteChannel;
  await opened;
  return { offerer, answerer, channel, remote, setupMs: performance.now() - started };
}

let pair = null;

window.bench = {
  async setup(runs) {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const fresh = await connectPair();
      times.push(fresh.setupMs);
      fresh.offerer.close();
      fresh.answerer.close();
    }
    times.sort((a, b) => a - b);
    pair = await connectPair();
    return times[Math.floor(times.length / 2)];
  },

  async roundTrips(count) {
    const { channel, remote } = pair;
    remote.onmessage = (event) => remote.send(event.data);
    const payload = new Uint8Array(1024).fill(0x5a);
    const samples = [];
    for (let i = 0; i < count + Math.floor(count / 10); i++) {
      const started = performance.now();
      const echoed = new Promise((resolve) => { channel.onmessage = resolve; });
      channel.send(payload);
      await echoed;
      if (i >= Math.floor(count / 10)) samples.push((performance.now() - started) * 1000);
    }
    samples.sort((a, b) => a - b);
    remote.onmessage = null;
    return { p50: samples[Math.floor(samples.length / 2)], p99: samples[Math.floor(samples.length * 0.99)] };
  },

  async stream(size, total) {
    const { channel, remote } = pair;
    let received = 0;
    const done = new Promise((resolve) => {
      remote.onmessage = (event) => {
        received += event.data.byteLength;
        if (received >= total) resolve();
      };
    });
    const payload = new Uint8Array(size).fill(0xa5);
    channel.bufferedAmountLowThreshold = 1 << 20;
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      if (channel.bufferedAmount > 4 << 20) {
        await new Promise((resolve) => { channel.onbufferedamountlow = resolve; });
      }
      channel.send(payload);
      sent += size;
    }
    await done;
    return (performance.now() - started) / 1000;
  },
};
