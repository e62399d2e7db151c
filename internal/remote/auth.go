package remote

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authMethods returns the SSH auth methods in order: public keys (the
// configured private key first, then the agent's keys), then password and
// keyboard-interactive answering with the password. x/crypto tries each
// method name only once, so all public keys go in one method. The returned
// closer releases the agent connection, if any.
func authMethods(cfg *Config) ([]ssh.AuthMethod, io.Closer, []string, error) {
	var signers []ssh.Signer
	var kinds []string
	if cfg.PrivateKey != "" || cfg.PrivateKeyFile != "" {
		s, err := loadSigner(cfg)
		if err != nil {
			return nil, nil, nil, err
		}
		signers = append(signers, s)
		if cfg.PrivateKey != "" {
			kinds = append(kinds, "private_key")
		} else {
			kinds = append(kinds, "private_key_file")
		}
	}
	var closer io.Closer
	var agentSigners func() ([]ssh.Signer, error)
	if sock := os.Getenv("SSH_AUTH_SOCK"); cfg.UseAgent && sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			closer = conn
			agentSigners = agent.NewClient(conn).Signers
			kinds = append(kinds, "ssh agent")
		}
	}
	var methods []ssh.AuthMethod
	if len(signers) > 0 || agentSigners != nil {
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			out := append([]ssh.Signer(nil), signers...)
			if agentSigners != nil {
				if more, err := agentSigners(); err == nil {
					out = append(out, more...)
				}
			}
			return out, nil
		}))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		methods = append(methods,
			ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
		kinds = append(kinds, "password")
	}
	if len(methods) == 0 {
		return nil, nil, nil, &Error{Kind: BadConfig, Msg: "no SSH credentials: set private_key, private_key_file or password, or run an SSH agent (SSH_AUTH_SOCK)"}
	}
	return methods, closer, kinds, nil
}

// loadSigner parses the configured private key. Errors never quote the key
// or the passphrase.
func loadSigner(cfg *Config) (ssh.Signer, error) {
	what := "private_key"
	pem := []byte(cfg.PrivateKey)
	if len(pem) == 0 {
		what = "private_key_file " + cfg.PrivateKeyFile
		b, err := os.ReadFile(expandHome(cfg.PrivateKeyFile))
		if err != nil {
			return nil, &Error{Kind: BadConfig, Err: err, Msg: fmt.Sprintf("cannot read private_key_file: %v", err)}
		}
		pem = b
	}
	var s ssh.Signer
	var err error
	if cfg.PrivateKeyPassphrase != "" {
		s, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(cfg.PrivateKeyPassphrase))
		if err != nil && strings.Contains(err.Error(), "not password protected") {
			s, err = ssh.ParsePrivateKey(pem)
		}
	} else {
		s, err = ssh.ParsePrivateKey(pem)
	}
	if err == nil {
		return s, nil
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, &Error{Kind: BadConfig, Msg: fmt.Sprintf("%s is encrypted: set private_key_passphrase", what)}
	case errors.Is(err, x509.IncorrectPasswordError) || strings.Contains(err.Error(), "decryption password incorrect"):
		return nil, &Error{Kind: BadConfig, Msg: fmt.Sprintf("%s: private_key_passphrase is wrong", what)}
	}
	return nil, &Error{Kind: BadConfig, Msg: fmt.Sprintf("cannot parse %s: %v", what, err)}
}
