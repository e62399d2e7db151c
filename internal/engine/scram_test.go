package engine

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// scramClient is the client side of SCRAM-SHA-512 (RFC 5802), written
// here from the RFC and apart from the engine's code, as a client such
// as truenas_scram computes it from the raw API key.
type scramClient struct {
	user, key, nonce, bare, serverFirst string
	salted                              []byte
}

func (c *scramClient) first() string {
	c.bare = "n=" + c.user + ",r=" + c.nonce
	return "n,," + c.bare
}

func (c *scramClient) final(t *testing.T, serverFirst string) string {
	t.Helper()
	c.serverFirst = serverFirst
	attrs := map[string]string{}
	for _, f := range strings.Split(serverFirst, ",") {
		k, v, _ := strings.Cut(f, "=")
		attrs[k] = v
	}
	if !strings.HasPrefix(attrs["r"], c.nonce) || len(attrs["r"]) <= len(c.nonce) {
		t.Fatalf("server nonce %q does not extend %q", attrs["r"], c.nonce)
	}
	salt, err := base64.StdEncoding.DecodeString(attrs["s"])
	if err != nil {
		t.Fatal(err)
	}
	iter, err := strconv.Atoi(attrs["i"])
	if err != nil || iter != 500000 {
		t.Fatalf("iterations %q", attrs["i"])
	}
	c.salted, err = pbkdf2.Key(sha512.New, c.key, salt, iter, 64)
	if err != nil {
		t.Fatal(err)
	}
	without := "c=" + base64.StdEncoding.EncodeToString([]byte("n,,")) + ",r=" + attrs["r"]
	authMsg := c.bare + "," + serverFirst + "," + without
	ck := mac(c.salted, "Client Key")
	stored := sha512.Sum512(ck)
	sig := mac(stored[:], authMsg)
	proof := make([]byte, len(ck))
	for i := range ck {
		proof[i] = ck[i] ^ sig[i]
	}
	c.bare = authMsg // kept for the server signature check
	return without + ",p=" + base64.StdEncoding.EncodeToString(proof)
}

// serverSignature is what the server must prove it holds ServerKey with.
func (c *scramClient) serverSignature() string {
	return "v=" + base64.StdEncoding.EncodeToString(mac(mac(c.salted, "Server Key"), c.bare))
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha512.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TestSCRAMByRelease: on 26.0 an API key carries SCRAM-SHA-512 material
// as TrueNAS computes it (iterations 500000, a 16-character salt; the
// create result's client_key, stored_key = H(client_key), server_key),
// no keyhash; auth.login_ex's SCRAM exchange logs a connection in with a
// client's proof and proves the server; a wrong proof is AUTH_ERR, a final
// message with no exchange TrueNAS's CallError; API_KEY_PLAIN still works.
// 25.10 keys have keyhash and no SCRAM mechanism.
func TestSCRAMByRelease(t *testing.T) {
	e, err := OpenRelease(t.TempDir(), "26.0")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var k map[string]json.RawMessage
	if err := json.Unmarshal(mustCall(t, e, "api_key.create", `{"name":"s","username":"root"}`), &k); err != nil {
		t.Fatal(err)
	}
	if _, ok := k["keyhash"]; ok {
		t.Fatalf("26.0 key has keyhash: %s", k["keyhash"])
	}
	str := func(m map[string]json.RawMessage, f string) string {
		var s string
		if err := json.Unmarshal(m[f], &s); err != nil {
			t.Fatalf("%s: %s %v", f, m[f], err)
		}
		return s
	}
	raw := str(k, "key")
	id, secret, _ := strings.Cut(raw, "-")
	salt, _ := base64.StdEncoding.DecodeString(str(k, "salt"))
	if string(k["iterations"]) != "500000" || len(salt) != 16 || strings.Trim(string(salt), alnum+"./") != "" {
		t.Fatalf("iterations %s salt %q", k["iterations"], salt)
	}
	salted, _ := pbkdf2.Key(sha512.New, secret, salt, 500000, 64)
	ck := mac(salted, "Client Key")
	stored := sha512.Sum512(ck)
	b := base64.StdEncoding.EncodeToString
	if str(k, "client_key") != b(ck) || str(k, "stored_key") != b(stored[:]) || str(k, "server_key") != b(mac(salted, "Server Key")) {
		t.Fatalf("SCRAM material is not PBKDF2-SHA512/RFC 5802's: %v", k)
	}
	var q []map[string]json.RawMessage
	if err := json.Unmarshal(mustCall(t, e, "api_key.query", `[["id","=",`+id+`]]`), &q); err != nil || len(q) != 1 {
		t.Fatal(err)
	}
	if _, ok := q[0]["client_key"]; ok || str(q[0], "stored_key") != str(k, "stored_key") {
		t.Fatalf("query entry: %v", q[0])
	}
	if got := string(mustCall(t, e, "auth.mechanism_choices")); got != `["API_KEY_PLAIN","TOKEN_PLAIN","PASSWORD_PLAIN","SCRAM"]` {
		t.Fatalf("mechanism_choices %s", got)
	}

	ctx := context.Background()
	conn := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 4242}), nil)
	login := func(typ, rfc string) map[string]json.RawMessage {
		t.Helper()
		arg, _ := json.Marshal(map[string]string{"mechanism": "SCRAM", "scram_type": typ, "rfc_str": rfc})
		res, err := conn.call("auth.login_ex", string(arg))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(res, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	arg, _ := json.Marshal(map[string]string{"mechanism": "SCRAM", "scram_type": "CLIENT_FINAL_MESSAGE", "rfc_str": "c=biws,r=x,p=AA=="})
	if _, err := conn.call("auth.login_ex", string(arg)); err == nil || !strings.Contains(err.Error(), "SCRAM authentication is not in progress") {
		t.Fatalf("final first: %v", err)
	}
	// A wrong proof (another key's secret).
	bad := &scramClient{user: "root:" + id, key: strings.Repeat("x", 64), nonce: "rOprNGfwEbeRWgbNEkqO"}
	sf := login("CLIENT_FIRST_MESSAGE", bad.first())
	if str(sf, "response_type") != "SCRAM_RESPONSE" || str(sf, "scram_type") != "SERVER_FIRST_RESPONSE" || string(sf["user_info"]) != "null" {
		t.Fatalf("server first: %v", sf)
	}
	if r := login("CLIENT_FINAL_MESSAGE", bad.final(t, str(sf, "rfc_str"))); str(r, "response_type") != "AUTH_ERR" {
		t.Fatalf("wrong proof: %v", r)
	}
	if res, _ := conn.call("auth.me"); res != nil {
		t.Fatalf("logged in after a wrong proof: %s", res)
	}
	// The right one.
	c := &scramClient{user: "root:" + id, key: secret, nonce: "fyko+d2lbbFgONRv9qkxdawL"}
	sf = login("CLIENT_FIRST_MESSAGE", c.first())
	fin := login("CLIENT_FINAL_MESSAGE", c.final(t, str(sf, "rfc_str")))
	if str(fin, "response_type") != "SCRAM_RESPONSE" || str(fin, "scram_type") != "SERVER_FINAL_RESPONSE" {
		t.Fatalf("final: %v", fin)
	}
	if str(fin, "rfc_str") != c.serverSignature() {
		t.Fatalf("server signature %q, want %q", str(fin, "rfc_str"), c.serverSignature())
	}
	var me map[string]json.RawMessage
	if err := json.Unmarshal(fin["user_info"], &me); err != nil || string(me["pw_name"]) != `"root"` {
		t.Fatalf("user_info %s", fin["user_info"])
	}
	if res, err := conn.call("auth.me"); err != nil || !strings.Contains(string(res), `"pw_name":"root"`) {
		t.Fatalf("auth.me after SCRAM: %s %v", res, err)
	}
	// API_KEY_PLAIN against the SCRAM material.
	plain, _ := json.Marshal(map[string]string{"mechanism": "API_KEY_PLAIN", "username": "root", "api_key": raw})
	if res := mustCall(t, e, "auth.login_ex", string(plain)); !strings.Contains(string(res), `"SUCCESS"`) {
		t.Fatalf("API_KEY_PLAIN: %s", res)
	}

	// 25.10: keyhash, no SCRAM.
	old, err := OpenRelease(t.TempDir(), "25.10")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	var ok map[string]json.RawMessage
	if err := json.Unmarshal(mustCall(t, old, "api_key.create", `{"name":"s","username":"root"}`), &ok); err != nil {
		t.Fatal(err)
	}
	if _, has := ok["keyhash"]; !has || ok["client_key"] != nil || ok["stored_key"] != nil {
		t.Fatalf("25.10 key: %v", ok)
	}
	_, err = call(t, old, "auth.login_ex", `{"mechanism":"SCRAM","scram_type":"CLIENT_FIRST_MESSAGE","rfc_str":"n,,n=root:1,r=abc"}`)
	wantErr(t, err, "[EINVAL] login_data: Input tag 'SCRAM' found using 'mechanism' does not match any of the expected tags: "+
		"<AuthMech.API_KEY_PLAIN: 'API_KEY_PLAIN'>, <AuthMech.PASSWORD_PLAIN: 'PASSWORD_PLAIN'>, <AuthMech.TOKEN_PLAIN: 'TOKEN_PLAIN'>, <AuthMech.OTP_TOKEN: 'OTP_TOKEN'>")
	if got := string(mustCall(t, old, "auth.mechanism_choices")); got != `["API_KEY_PLAIN","TOKEN_PLAIN","PASSWORD_PLAIN"]` {
		t.Fatalf("25.10 mechanism_choices %s", got)
	}
}

// TestSCRAMFieldsAreSecret: 26.0's Secret fields of ApiKeyEntry (salt,
// stored_key, server_key; api/v26_0_0/api_key.py) are in the one list the
// engine redacts by role, and a redacted answer hides them.
func TestSCRAMFieldsAreSecret(t *testing.T) {
	for _, f := range []string{"salt", "stored_key", "server_key", "keyhash"} {
		if !account.SecretNames[f] {
			t.Errorf("%s is not a secret field", f)
		}
	}
	if account.SecretNames["iterations"] || account.SecretNames["client_key"] {
		t.Error("iterations and client_key are not Secret in v26_0_0")
	}
	got := string(redactSecrets(json.RawMessage(`[{"id":1,"iterations":500000,"salt":"c2FsdA==","stored_key":"AA==","server_key":"AA=="}]`)))
	if got != `[{"id":1,"iterations":500000,"salt":"********","stored_key":"********","server_key":"********"}]` {
		t.Errorf("redacted: %s", got)
	}
}
