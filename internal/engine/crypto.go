package engine

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf16"

	"github.com/go-crypt/crypt/algorithm/pbkdf2"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
	//lint:ignore SA1019 the NT hash of SMB users is MD4 by definition
	"golang.org/x/crypto/md4"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// APIKeyIterations is the PBKDF2-SHA512 iteration count for API key
// hashes (the smallest go-crypt accepts).
var APIKeyIterations = 100000

// ShaCryptRounds is the SHA-512 crypt round count (5000: the glibc default,
// written without a rounds= field, as TrueNAS's crypt() does).
var ShaCryptRounds = 5000

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomString returns n characters of [A-Za-z0-9] from crypto/rand, as
// TrueNAS's generate_string does for random passwords and key secrets.
func RandomString(n int) string {
	var b strings.Builder
	max := big.NewInt(int64(len(alnum)))
	for range n {
		i, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b.WriteByte(alnum[i.Int64()])
	}
	return b.String()
}

// unixHash is the SHA-512 crypt hash of password.
func unixHash(password string) (string, error) {
	h, err := shacrypt.New(shacrypt.WithSHA512(), shacrypt.WithIterations(ShaCryptRounds))
	if err != nil {
		return "", err
	}
	d, err := h.Hash(password)
	if err != nil {
		return "", err
	}
	return d.Encode(), nil
}

// ntHash is the NT hash (MD4 of UTF-16LE) in upper-case hex, as Samba's
// passdb stores it.
func ntHash(password string) string {
	u := utf16.Encode([]rune(password))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i] = byte(c)
		b[2*i+1] = byte(c >> 8)
	}
	h := md4.New()
	h.Write(b)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// checkUnixHash says whether password matches a SHA-512 crypt hash.
func checkUnixHash(hash, password string) bool {
	if !strings.HasPrefix(hash, "$6$") {
		return false
	}
	d, err := shacrypt.Decode(hash)
	if err != nil {
		return false
	}
	return d.Match(password)
}

// keyHash is the $pbkdf2-sha512$ hash of an API key's secret part.
func keyHash(secret string) (string, error) {
	h, err := pbkdf2.NewSHA512(pbkdf2.WithIterations(APIKeyIterations))
	if err != nil {
		return "", err
	}
	d, err := h.Hash(secret)
	if err != nil {
		return "", err
	}
	return d.Encode(), nil
}

func checkKeyHash(hash, secret string) bool {
	if v, ok := parseVerifier(hash); ok {
		return checkSCRAMSecret(v, secret)
	}
	d, err := pbkdf2.Decode(hash)
	if err != nil {
		return false
	}
	ok, err := d.MatchAdvanced(secret)
	return err == nil && ok
}

// randomDomainSID makes a box's local domain SID, three random
// sub-authorities of 1 to 2**32-1 (utils/sid.py:137 random_sid).
func randomDomainSID() (string, error) {
	var sub [3]uint32
	for i := range sub {
		for sub[i] == 0 {
			var b [4]byte
			if _, err := rand.Read(b[:]); err != nil {
				return "", fmt.Errorf("engine: domain SID: %w", err)
			}
			sub[i] = binary.BigEndian.Uint32(b[:])
		}
	}
	return account.DomainSID(sub[0], sub[1], sub[2]), nil
}
