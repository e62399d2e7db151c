package engine

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math/big"
	"strconv"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// SCRAM-SHA-512 (RFC 5802 with SHA-512, as RFC 7677 does with SHA-256),
// the API key material of TrueNAS 26.0: utils/crypto.py at
// TS-26.0.0-BETA.3 (generate_api_key_auth_data) derives
// SaltedPassword = PBKDF2-HMAC-SHA512(key, salt, 500000) and from it
// ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey),
// ServerKey = HMAC(SaltedPassword, "Server Key"); the salt is 16 characters
// of [A-Za-z0-9./].

// scramKeys is one API key's SCRAM material.
type scramKeys struct {
	Iterations                            int
	Salt, ClientKey, StoredKey, ServerKey []byte
}

// scramPrefix marks a stored verifier as SCRAM material (the keyhash
// column of a 26.0 root's key): scram-sha-512$<iterations>$<salt>$<stored>$<server>,
// each key base64. The ClientKey is never stored.
const scramPrefix = "scram-sha-512$"

const saltChars = alnum + "./"

func hmacSHA512(key []byte, msg string) []byte {
	m := hmac.New(sha512.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// deriveSCRAM computes the material of secret with salt and iterations.
func deriveSCRAM(secret string, salt []byte, iterations int) (scramKeys, error) {
	salted, err := pbkdf2.Key(sha512.New, secret, salt, iterations, sha512.Size)
	if err != nil {
		return scramKeys{}, err
	}
	ck := hmacSHA512(salted, "Client Key")
	sk := sha512.Sum512(ck)
	return scramKeys{Iterations: iterations, Salt: salt, ClientKey: ck, StoredKey: sk[:], ServerKey: hmacSHA512(salted, "Server Key")}, nil
}

// newSCRAM makes the material of a new key secret: a fresh salt, TrueNAS's
// round count.
func newSCRAM(secret string) (scramKeys, error) {
	salt := make([]byte, 16)
	max := big.NewInt(int64(len(saltChars)))
	for i := range salt {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return scramKeys{}, err
		}
		salt[i] = saltChars[n.Int64()]
	}
	return deriveSCRAM(secret, salt, account.SCRAMIterations)
}

var b64 = base64.StdEncoding

// verifier is the stored form (no ClientKey).
func (k scramKeys) verifier() string {
	return scramPrefix + strconv.Itoa(k.Iterations) + "$" + b64.EncodeToString(k.Salt) + "$" +
		b64.EncodeToString(k.StoredKey) + "$" + b64.EncodeToString(k.ServerKey)
}

// parseVerifier reads a stored verifier; ok is false for another hash.
func parseVerifier(s string) (scramKeys, bool) {
	rest, ok := strings.CutPrefix(s, scramPrefix)
	if !ok {
		return scramKeys{}, false
	}
	f := strings.Split(rest, "$")
	if len(f) != 4 {
		return scramKeys{}, false
	}
	it, err := strconv.Atoi(f[0])
	salt, err1 := b64.DecodeString(f[1])
	st, err2 := b64.DecodeString(f[2])
	sv, err3 := b64.DecodeString(f[3])
	if err != nil || err1 != nil || err2 != nil || err3 != nil || it <= 0 || len(st) != sha512.Size || len(sv) != sha512.Size {
		return scramKeys{}, false
	}
	return scramKeys{Iterations: it, Salt: salt, StoredKey: st, ServerKey: sv}, true
}

// checkSCRAMSecret says whether secret is the key of verifier v
// (API_KEY_PLAIN on 26.0: the StoredKey recomputed).
func checkSCRAMSecret(v scramKeys, secret string) bool {
	k, err := deriveSCRAM(secret, v.Salt, v.Iterations)
	return err == nil && subtle.ConstantTimeCompare(k.StoredKey, v.StoredKey) == 1
}

// scramExchange is a SCRAM login in progress on a connection: what the
// client-first message named and what the server answered.
type scramExchange struct {
	username        string
	keyID           int64
	verifier        string // the stored verifier the exchange runs on
	keys            scramKeys
	gs2Header       string
	clientFirstBare string
	serverFirst     string
	nonce           string // client + server nonce
}

var errSCRAMMessage = errors.New("malformed SCRAM message")

// scramUnescape reads a saslname (RFC 5802 5.1: "=2C" is ",", "=3D" "=").
func scramUnescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", errSCRAMMessage
		}
		i += 2
	}
	return b.String(), nil
}

// parseClientFirst reads "n,,n=<user>:<key id>,r=<nonce>" (gs2 header
// "n" or "y"; channel binding "p=" is honoured only over TLS, which the
// engine's socket is not, so it is refused). The user part names the
// user and the API key id, as TrueNAS's SCRAM names them.
func parseClientFirst(msg string) (gs2, bare, username string, keyID int64, nonce string, err error) {
	var cb string
	cb, rest, ok := strings.Cut(msg, ",")
	if !ok || (cb != "n" && cb != "y") {
		return "", "", "", 0, "", errSCRAMMessage
	}
	authzid, bare, ok := strings.Cut(rest, ",")
	if !ok || authzid != "" && !strings.HasPrefix(authzid, "a=") {
		return "", "", "", 0, "", errSCRAMMessage
	}
	gs2 = cb + "," + authzid + ","
	f := strings.Split(bare, ",")
	if len(f) < 2 || !strings.HasPrefix(f[0], "n=") || !strings.HasPrefix(f[1], "r=") || len(f[1]) < 3 {
		return "", "", "", 0, "", errSCRAMMessage
	}
	name, err := scramUnescape(f[0][2:])
	if err != nil {
		return "", "", "", 0, "", err
	}
	i := strings.LastIndexByte(name, ':')
	if i <= 0 {
		return "", "", "", 0, "", errSCRAMMessage
	}
	id, err := strconv.ParseInt(name[i+1:], 10, 64)
	if err != nil || id <= 0 {
		return "", "", "", 0, "", errSCRAMMessage
	}
	nonce = f[1][2:]
	if strings.ContainsAny(nonce, ",") {
		return "", "", "", 0, "", errSCRAMMessage
	}
	return gs2, bare, name[:i], id, nonce, nil
}

// start answers the client-first message with server-first.
func (x *scramExchange) start(clientNonce string) {
	x.nonce = clientNonce + RandomString(24)
	x.serverFirst = "r=" + x.nonce + ",s=" + b64.EncodeToString(x.keys.Salt) + ",i=" + strconv.Itoa(x.keys.Iterations)
}

// finish checks "c=<b64 gs2 header>,r=<nonce>,p=<proof>" and returns the
// server-final message "v=<server signature>"; ok is false for a wrong
// proof or a message that does not continue this exchange.
func (x *scramExchange) finish(msg string) (string, bool) {
	withoutProof, proof, ok := strings.Cut(msg, ",p=")
	if !ok || strings.Contains(proof, ",") {
		return "", false
	}
	f := strings.Split(withoutProof, ",")
	if len(f) < 2 || f[0] != "c="+b64.EncodeToString([]byte(x.gs2Header)) || f[1] != "r="+x.nonce {
		return "", false
	}
	p, err := b64.DecodeString(proof)
	if err != nil || len(p) != sha512.Size {
		return "", false
	}
	authMessage := x.clientFirstBare + "," + x.serverFirst + "," + withoutProof
	sig := hmacSHA512(x.keys.StoredKey, authMessage)
	ck := make([]byte, len(p))
	for i := range p {
		ck[i] = p[i] ^ sig[i]
	}
	h := sha512.Sum512(ck)
	if subtle.ConstantTimeCompare(h[:], x.keys.StoredKey) != 1 {
		return "", false
	}
	return "v=" + b64.EncodeToString(hmacSHA512(x.keys.ServerKey, authMessage)), true
}
