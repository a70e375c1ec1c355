// pion-interop-peer: a pion/webrtc (Go) data-channel peer driven over stdin/stdout JSON lines, the same
// protocol as our rtc-interop-peer (Tests/interop/Peer), so Tests/interop/test_pion.py can relay
// signaling between the two and check every message at both ends. Every received message is echoed
// back on the same channel unless PEER_ECHO=0. Host candidates on loopback only, trickled.
//
//	In:  {"type":"make_offer"} | {"type":"offer"|"answer","sdp"} | {"type":"candidate","candidate"}
//	     {"type":"send","text"} | {"type":"send","binary":"<base64>"} | {"type":"close"}
//	Out: {"type":"offer"|"answer","sdp"} | {"type":"candidate","candidate"} | {"type":"state","state"}
//	     {"type":"open","label"} | {"type":"message","text"} | {"type":"message","binary"} | {"type":"closed"}
//	     {"type":"error","error"}
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/pion/ice/v2"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v3"
)

type line struct {
	Type      string  `json:"type"`
	SDP       string  `json:"sdp,omitempty"`
	Candidate string  `json:"candidate,omitempty"`
	State     string  `json:"state,omitempty"`
	Label     string  `json:"label,omitempty"`
	Text      *string `json:"text,omitempty"` // a pointer: an empty text message is still text
	Binary    *string `json:"binary,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// output serialises lines from pion's callback goroutines onto stdout.
type output struct {
	mutex   sync.Mutex
	encoder *json.Encoder
}

func (o *output) emit(l line) {
	o.mutex.Lock()
	defer o.mutex.Unlock()
	if err := o.encoder.Encode(l); err != nil {
		os.Exit(1) // the test harness went away
	}
}

func (o *output) fail(err error) { o.emit(line{Type: "error", Error: err.Error()}) }

type peer struct {
	out         *output
	echoes      bool
	connection  *webrtc.PeerConnection
	mutex       sync.Mutex
	channel     *webrtc.DataChannel
	hasRemote   bool
	heldRemotes []webrtc.ICECandidateInit // candidates that arrived before the remote description
}

func newPeer(out *output, echoes bool) (*peer, error) {
	settings := webrtc.SettingEngine{}
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// The tests run in a network namespace where loopback is the only interface.
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	connection, err := webrtc.NewAPI(webrtc.WithSettingEngine(settings)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &peer{out: out, echoes: echoes, connection: connection}
	connection.OnICECandidate(func(candidate *webrtc.ICECandidate) {
		if candidate != nil {
			out.emit(line{Type: "candidate", Candidate: candidate.ToJSON().Candidate})
		}
	})
	connection.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		out.emit(line{Type: "state", State: state.String()})
	})
	connection.OnDataChannel(p.attach)
	return p, nil
}

func (p *peer) attach(channel *webrtc.DataChannel) {
	p.mutex.Lock()
	p.channel = channel
	p.mutex.Unlock()
	channel.OnOpen(func() { p.out.emit(line{Type: "open", Label: channel.Label()}) })
	channel.OnClose(func() { p.out.emit(line{Type: "closed"}) })
	channel.OnError(func(err error) {
		// When the other side ends the association, pion tries to reset its stream in reply and reports
		// that it cannot: not a failure.
		if !errors.Is(err, sctp.ErrResetPacketInStateNotExist) {
			p.out.fail(err)
		}
	})
	channel.OnMessage(func(message webrtc.DataChannelMessage) {
		if message.IsString {
			text := string(message.Data)
			p.out.emit(line{Type: "message", Text: &text})
		} else {
			encoded := base64.StdEncoding.EncodeToString(message.Data)
			p.out.emit(line{Type: "message", Binary: &encoded})
		}
		if p.echoes {
			if err := send(channel, message.Data, message.IsString); err != nil {
				p.out.fail(err)
			}
		}
	})
}

func send(channel *webrtc.DataChannel, data []byte, isString bool) error {
	if isString {
		return channel.SendText(string(data))
	}
	return channel.Send(data)
}

// describe prints the description, then sets it: pion gathers (and trickles) only once it is set, so
// our candidates never reach the other side ahead of the description they belong to.
func (p *peer) describe(kind string, description webrtc.SessionDescription) error {
	p.out.emit(line{Type: kind, SDP: description.SDP})
	return p.connection.SetLocalDescription(description)
}

func (p *peer) setRemote(kind webrtc.SDPType, sdp string) error {
	if err := p.connection.SetRemoteDescription(webrtc.SessionDescription{Type: kind, SDP: sdp}); err != nil {
		return err
	}
	p.mutex.Lock()
	p.hasRemote = true
	held := p.heldRemotes
	p.heldRemotes = nil
	p.mutex.Unlock()
	for _, candidate := range held {
		if err := p.connection.AddICECandidate(candidate); err != nil {
			return err
		}
	}
	return nil
}

func (p *peer) handle(command line) error {
	switch command.Type {
	case "make_offer":
		channel, err := p.connection.CreateDataChannel("mesh", nil)
		if err != nil {
			return err
		}
		p.attach(channel)
		offer, err := p.connection.CreateOffer(nil)
		if err != nil {
			return err
		}
		return p.describe("offer", offer)
	case "offer":
		if err := p.setRemote(webrtc.SDPTypeOffer, command.SDP); err != nil {
			return err
		}
		answer, err := p.connection.CreateAnswer(nil)
		if err != nil {
			return err
		}
		return p.describe("answer", answer)
	case "answer":
		return p.setRemote(webrtc.SDPTypeAnswer, command.SDP)
	case "candidate":
		candidate := webrtc.ICECandidateInit{Candidate: command.Candidate}
		p.mutex.Lock()
		if !p.hasRemote {
			p.heldRemotes = append(p.heldRemotes, candidate)
			p.mutex.Unlock()
			return nil
		}
		p.mutex.Unlock()
		return p.connection.AddICECandidate(candidate)
	case "send":
		p.mutex.Lock()
		channel := p.channel
		p.mutex.Unlock()
		if channel == nil {
			return errors.New("no data channel yet")
		}
		if command.Text != nil {
			return send(channel, []byte(*command.Text), true)
		}
		if command.Binary == nil {
			return errors.New("send needs text or binary")
		}
		data, err := base64.StdEncoding.DecodeString(*command.Binary)
		if err != nil {
			return err
		}
		return send(channel, data, false)
	default:
		return fmt.Errorf("unknown type %s", command.Type)
	}
}

func main() {
	out := &output{encoder: json.NewEncoder(os.Stdout)}
	out.encoder.SetEscapeHTML(false)
	p, err := newPeer(out, os.Getenv("PEER_ECHO") != "0")
	if err != nil {
		out.fail(err)
		os.Exit(1)
	}
	// Lines carry base64 messages of hundreds of KiB: read whole lines, whatever their length.
	input := bufio.NewReader(os.Stdin)
	for {
		text, readErr := input.ReadBytes('\n')
		if len(text) > 0 {
			var command line
			if err := json.Unmarshal(text, &command); err != nil {
				out.fail(fmt.Errorf("bad line: %w", err))
			} else if command.Type == "close" {
				break
			} else if err := p.handle(command); err != nil {
				out.fail(err)
			}
		}
		if readErr != nil { // stdin closed: the harness is done
			break
		}
	}
	if err := p.connection.Close(); err != nil {
		out.fail(err)
		os.Exit(1)
	}
}
