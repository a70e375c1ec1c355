// pion-bench [--megabytes N] [--round-trips N] [--messages N]: two pion/webrtc peer connections in one
// process on loopback, measured the way rtc-bench measures our stack (bench/rtc/Sources): setup as the
// median of 7 fresh connections, 1 KiB round trips after a tenth as warm-up, bulk and 1000 B messages
// paced by the buffered amount, CPU of the process during the bulk. Prints one JSON line for bench.py.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/webrtc/v3"
)

// bulkMessageSize is the largest message pion 3.1.56 both sends and receives: its DataChannel reads each
// message into a 65,535-byte buffer, and a 64 KiB one fails the read with "short buffer" and closes the
// channel on the receiving side (measured in Tests/interop/test_pion.py).
const bulkMessageSize = 65_535

// timeout bounds every wait, so a stalled connection fails the run instead of hanging it.
const timeout = 120 * time.Second

type result struct {
	Stack        string  `json:"stack"`
	SetupMs      float64 `json:"setup_ms"`
	RTTP50Us     float64 `json:"rtt_p50_us"`
	RTTP99Us     float64 `json:"rtt_p99_us"`
	BulkMBps     float64 `json:"bulk_mb_per_s"`
	MessagesPerS float64 `json:"messages_per_s"`
	CPUSPer100MB float64 `json:"cpu_s_per_100mb"`
}

// pair is an offerer's channel and the answerer's end of it.
type pair struct {
	offerer, answerer *webrtc.PeerConnection
	channel, remote   *webrtc.DataChannel
}

func (p *pair) close() {
	p.offerer.Close()
	p.answerer.Close()
}

func loopbackAPI() *webrtc.API {
	settings := webrtc.SettingEngine{}
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// Host candidates on loopback only, as every stack in the benchmark uses.
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithSettingEngine(settings))
}

func await[T any](events <-chan T, what string) (T, error) {
	select {
	case value := <-events:
		return value, nil
	case <-time.After(timeout):
		var zero T
		return zero, fmt.Errorf("no %s within %s", what, timeout)
	}
}

// describe sets a local description and waits for its candidates: they travel in the SDP, as in rtc-bench.
func describe(connection *webrtc.PeerConnection, description webrtc.SessionDescription) (webrtc.SessionDescription, error) {
	gathered := webrtc.GatheringCompletePromise(connection)
	if err := connection.SetLocalDescription(description); err != nil {
		return description, err
	}
	if _, err := await(gathered, "end of gathering"); err != nil {
		return description, err
	}
	return *connection.LocalDescription(), nil
}

// connectPair returns two connected peers and the time from creating them to both ends of the channel open.
func connectPair(api *webrtc.API) (*pair, time.Duration, error) {
	started := time.Now()
	offerer, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, 0, err
	}
	answerer, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, 0, err
	}
	p := &pair{offerer: offerer, answerer: answerer}
	remoteOpened := make(chan *webrtc.DataChannel, 1)
	answerer.OnDataChannel(func(channel *webrtc.DataChannel) {
		channel.OnOpen(func() { remoteOpened <- channel })
	})
	if p.channel, err = offerer.CreateDataChannel("bench", nil); err != nil {
		return nil, 0, err
	}
	opened := make(chan struct{}, 1)
	p.channel.OnOpen(func() { opened <- struct{}{} })

	offer, err := offerer.CreateOffer(nil)
	if err == nil {
		offer, err = describe(offerer, offer)
	}
	if err == nil {
		err = answerer.SetRemoteDescription(offer)
	}
	var answer webrtc.SessionDescription
	if err == nil {
		answer, err = answerer.CreateAnswer(nil)
	}
	if err == nil {
		answer, err = describe(answerer, answer)
	}
	if err == nil {
		err = offerer.SetRemoteDescription(answer)
	}
	if err == nil {
		p.remote, err = await(remoteOpened, "answerer's channel open")
	}
	if err == nil {
		_, err = await(opened, "offerer's channel open")
	}
	if err != nil {
		p.close()
		return nil, 0, err
	}
	return p, time.Since(started), nil
}

func percentile(sorted []time.Duration, fraction float64) float64 {
	index := int(float64(len(sorted)) * fraction)
	if index > len(sorted)-1 {
		index = len(sorted) - 1
	}
	return float64(sorted[index]) / float64(time.Microsecond)
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()
}

func setup(api *webrtc.API, runs int) (float64, error) {
	times := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		p, elapsed, err := connectPair(api)
		if err != nil {
			return 0, err
		}
		times = append(times, elapsed)
		p.close()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return percentile(times, 0.5) / 1000, nil
}

// roundTrips sends 1 KiB messages one at a time, which the answerer echoes: the next goes from the OnMessage
// callback as the echo arrives, as rtc-bench does; the first tenth warms up.
func roundTrips(p *pair, count int) ([]time.Duration, error) {
	p.remote.OnMessage(func(message webrtc.DataChannelMessage) { p.remote.Send(message.Data) })
	payload := bytes.Repeat([]byte{0x5a}, 1024)
	total := count + count/10
	samples := make([]time.Duration, 0, total)
	finished := make(chan error, 1)
	var started time.Time
	// pion calls OnMessage from the channel's one read loop, never concurrently.
	p.channel.OnMessage(func(webrtc.DataChannelMessage) {
		samples = append(samples, time.Since(started))
		if len(samples) == total {
			finished <- nil
			return
		}
		started = time.Now()
		if err := p.channel.Send(payload); err != nil {
			finished <- err
		}
	})
	started = time.Now()
	if err := p.channel.Send(payload); err != nil {
		return nil, err
	}
	if err, waitErr := await(finished, "the round trips"); waitErr != nil || err != nil {
		if waitErr != nil {
			return nil, waitErr
		}
		return nil, err
	}
	samples = samples[count/10:]
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	return samples, nil
}

// stream sends `total` bytes in `size`-byte messages, waiting whenever more than 4 MiB are buffered until
// the buffered amount falls to 1 MiB (as the aiortc and Chromium benchmarks do); returns the time until
// the last byte arrived and the CPU seconds the process spent meanwhile.
func stream(p *pair, size, total int) (time.Duration, float64, error) {
	received := 0
	done := make(chan struct{}, 1)
	// pion calls OnMessage from the channel's one read loop, never concurrently.
	p.remote.OnMessage(func(message webrtc.DataChannelMessage) {
		received += len(message.Data)
		if received == total {
			done <- struct{}{}
		}
	})
	low := make(chan struct{}, 1)
	p.channel.SetBufferedAmountLowThreshold(1 << 20)
	p.channel.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	payload := bytes.Repeat([]byte{0xa5}, size)
	cpuBefore := cpuSeconds()
	started := time.Now()
	for sent := 0; sent < total; sent += size {
		if err := p.channel.Send(payload[:min(size, total-sent)]); err != nil {
			return 0, 0, err
		}
		for p.channel.BufferedAmount() > 4<<20 {
			if _, err := await(low, "buffered amount low"); err != nil {
				return 0, 0, err
			}
		}
	}
	if _, err := await(done, "last byte"); err != nil {
		return 0, 0, err
	}
	return time.Since(started), cpuSeconds() - cpuBefore, nil
}

// min: Debian 12's Go 1.19 has no built-in one.
func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func run(megabytes, count, messages int) (*result, error) {
	api := loopbackAPI()
	r := &result{Stack: fmt.Sprintf("pion/webrtc 3.1.56 (%s) in one process (two peer connections; bulk in 65,535 B messages)", runtime.Version())}
	var err error
	if r.SetupMs, err = setup(api, 7); err != nil {
		return nil, err
	}
	p, _, err := connectPair(api)
	if err != nil {
		return nil, err
	}
	defer p.close()
	samples, err := roundTrips(p, count)
	if err != nil {
		return nil, err
	}
	r.RTTP50Us, r.RTTP99Us = percentile(samples, 0.5), percentile(samples, 0.99)

	bulkBytes := megabytes << 20
	elapsed, cpu, err := stream(p, bulkMessageSize, bulkBytes)
	if err != nil {
		return nil, err
	}
	r.BulkMBps = float64(bulkBytes) / 1e6 / elapsed.Seconds()
	r.CPUSPer100MB = cpu / (float64(bulkBytes) / 1e8)

	elapsed, _, err = stream(p, 1000, 1000*messages)
	if err != nil {
		return nil, err
	}
	r.MessagesPerS = float64(messages) / elapsed.Seconds()
	return r, nil
}

func main() {
	megabytes := flag.Int("megabytes", 200, "bulk megabytes (MiB)")
	count := flag.Int("round-trips", 2000, "measured 1 KiB round trips")
	messages := flag.Int("messages", 100_000, "1000 B messages")
	flag.Parse()
	r, err := run(*megabytes, *count, *messages)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion-bench:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "pion-bench:", err)
		os.Exit(1)
	}
}
