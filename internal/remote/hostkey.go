package remote

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyCheck is how one client verifies the box: the callback, the host key
// algorithms to offer (so the server presents a key we can verify), and, for
// a fingerprint pin, alternative algorithm sets to try when the server
// presents a key of another type first.
type hostKeyCheck struct {
	callback ssh.HostKeyCallback
	algos    []string
	// fingerprint is set when the pin is a "SHA256:..." fingerprint: its key
	// type is unknown, so a mismatch is retried with other algorithm families.
	fingerprint string
}

// algorithmFamilies are the host key algorithm sets tried, in turn, against a
// fingerprint pin.
var algorithmFamilies = [][]string{
	{ssh.KeyAlgoED25519},
	{ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521},
	{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA},
}

// algorithmsFor lists the host key algorithms that verify a key of type t.
func algorithmsFor(t string) []string {
	switch t {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		return []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	}
	return []string{t}
}

func addAlgos(list []string, t string) []string {
	for _, a := range algorithmsFor(t) {
		dup := false
		for _, b := range list {
			if a == b {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}

// describeKey renders "ssh-ed25519 SHA256:..." for messages.
func describeKey(k ssh.PublicKey) string {
	return k.Type() + " " + ssh.FingerprintSHA256(k)
}

// expandHome turns a leading "~/" into the user's home directory.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[1:])
		}
	}
	return p
}

// newHostKeyCheck builds the host key verification for host:port.
func newHostKeyCheck(cfg *Config, host string, port int) (*hostKeyCheck, error) {
	hostport := net.JoinHostPort(host, strconv.Itoa(port))
	switch {
	case cfg.InsecureIgnoreHostKey:
		return &hostKeyCheck{callback: ssh.InsecureIgnoreHostKey()}, nil
	case strings.TrimSpace(cfg.HostKey) != "":
		return pinnedHostKey(strings.TrimSpace(cfg.HostKey), hostport)
	default:
		return knownHostsCheck(cfg.KnownHostsFile, host, port)
	}
}

func pinnedHostKey(pin, hostport string) (*hostKeyCheck, error) {
	if strings.HasPrefix(pin, "SHA256:") {
		want := strings.TrimRight(pin, "=")
		return &hostKeyCheck{
			fingerprint: want,
			callback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
				if strings.TrimRight(ssh.FingerprintSHA256(key), "=") == want {
					return nil
				}
				return &Error{Kind: HostKey, Msg: fmt.Sprintf(
					"POSSIBLE MAN-IN-THE-MIDDLE ATTACK: the host key of %s is %s, but host_key pins %s; if the key changed legitimately, update host_key",
					hostport, describeKey(key), want)}
			},
		}, nil
	}
	var keys []ssh.PublicKey
	for _, line := range strings.Split(pin, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			// Also accept a known_hosts line ("host keytype base64").
			_, _, k2, _, _, err2 := ssh.ParseKnownHosts([]byte(line))
			if err2 != nil {
				return nil, &Error{Kind: BadConfig, Msg: "host_key is neither a public key in authorized_keys format (\"ssh-ed25519 AAAA...\") nor a \"SHA256:...\" fingerprint: " + err.Error()}
			}
			k = k2
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, &Error{Kind: BadConfig, Msg: "host_key holds no key"}
	}
	hk := &hostKeyCheck{}
	var wants []string
	for _, k := range keys {
		hk.algos = addAlgos(hk.algos, k.Type())
		wants = append(wants, describeKey(k))
	}
	hk.callback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
		for _, k := range keys {
			if bytes.Equal(k.Marshal(), key.Marshal()) {
				return nil
			}
		}
		return &Error{Kind: HostKey, Msg: fmt.Sprintf(
			"POSSIBLE MAN-IN-THE-MIDDLE ATTACK: the host key of %s is %s, but host_key pins %s; if the key changed legitimately, update host_key",
			hostport, describeKey(key), strings.Join(wants, ", "))}
	}
	return hk, nil
}

func knownHostsCheck(file, host string, port int) (*hostKeyCheck, error) {
	if file == "" {
		file = "~/.ssh/known_hosts"
	}
	file = expandHome(file)
	hostport := net.JoinHostPort(host, strconv.Itoa(port))
	scan := "ssh-keyscan -t ed25519 " + host
	if port != 22 {
		scan = fmt.Sprintf("ssh-keyscan -p %d -t ed25519 %s", port, host)
	}
	if _, err := os.Stat(file); err != nil {
		return nil, &Error{Kind: HostKey, Err: err, Msg: fmt.Sprintf(
			"cannot read known_hosts file %s (%v); add the host key of %s with `%s >> %s`, or set host_key",
			file, unwrapPathError(err), hostport, scan, file)}
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, &Error{Kind: BadConfig, Err: err, Msg: fmt.Sprintf("cannot parse known_hosts file %s: %v", file, err)}
	}
	// Probe with a key nobody has: the KeyError lists the keys the file holds
	// for this host, whose types become HostKeyAlgorithms. Without this the
	// server may present, say, its ECDSA key while the file holds only its
	// ED25519 one, which looks exactly like a man-in-the-middle.
	hk := &hostKeyCheck{}
	var ke *knownhosts.KeyError
	if err := cb(hostport, &net.TCPAddr{IP: net.IPv4zero, Port: port}, probeKey); errors.As(err, &ke) {
		for _, w := range ke.Want {
			hk.algos = addAlgos(hk.algos, w.Key.Type())
		}
	}
	hk.callback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			return &Error{Kind: HostKey, Err: err, Msg: fmt.Sprintf(
				"the host key of %s (%s) is marked @revoked in %s:%d", hostport, describeKey(key), re.Revoked.Filename, re.Revoked.Line)}
		case errors.As(err, &ke) && len(ke.Want) == 0:
			return &Error{Kind: HostKey, Err: err, Msg: fmt.Sprintf(
				"host key for %s is not in known_hosts file %s (the server offers %s); add it with `%s >> %s` after checking the fingerprint, or set host_key",
				hostport, file, describeKey(key), scan, file)}
		case errors.As(err, &ke):
			var known []string
			for _, w := range ke.Want {
				known = append(known, fmt.Sprintf("%s (%s:%d)", describeKey(w.Key), w.Filename, w.Line))
			}
			return &Error{Kind: HostKey, Err: err, Msg: fmt.Sprintf(
				"POSSIBLE MAN-IN-THE-MIDDLE ATTACK: the host key of %s is %s, but known_hosts file %s holds %s; if the key changed legitimately, remove the old line (ssh-keygen -R) and add the new one",
				hostport, describeKey(key), file, strings.Join(known, ", "))}
		}
		return &Error{Kind: HostKey, Err: err, Msg: fmt.Sprintf("cannot verify the host key of %s: %v", hostport, err)}
	}
	return hk, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// probeKey is a fixed ed25519 public key that no server holds.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err)
	}
	return k
}()
