package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The acceptance tests run with the CLI of TF_ACC_TERRAFORM_PATH (default:
// the repository's bin/terraform): Terraform, or OpenTofu. cliUnderTest
// says which one and its version, found once by TestMain.
type cliInfo struct {
	path         string
	product      string // "Terraform" or "OpenTofu"; "" when there is no CLI
	major, minor int
	version      string // as it prints it, e.g. "1.12.6"
}

var cliUnderTest cliInfo

// Provider addresses: `nasops/truenas` is registry.terraform.io/nasops/truenas
// to Terraform and registry.opentofu.org/nasops/truenas to OpenTofu. A
// configuration without required_providers (the tests' configurations)
// implies the namespace hashicorp on the CLI's own registry host.
const (
	providerNamespace = "nasops"
	impliedNamespace  = "hashicorp"
	terraformRegistry = "registry.terraform.io"
	opentofuRegistry  = "registry.opentofu.org"
)

// TestMain prepares the environment of the tests that drive the CLI (the
// acceptance tests, and the plan-only unit tests), before any of them runs:
//
//   - TF_CLI_CONFIG_FILE names an empty CLI configuration of the tests'
//     own. The tests need none (the harness hands the CLI the in-process
//     provider), must not depend on the user's, and OpenTofu prints a
//     warning on stdout, where the harness reads JSON, when
//     TF_CLI_CONFIG_FILE names a file that does not exist.
//   - TF_ACC_PROVIDER_HOST and TF_ACC_PROVIDER_NAMESPACE (unless set) give
//     the address under which the harness serves the in-process provider:
//     the one the CLI implies for `truenas` in a configuration without
//     required_providers, registry.terraform.io/hashicorp/truenas for
//     Terraform and registry.opentofu.org/hashicorp/truenas for OpenTofu.
//     Without the host, OpenTofu looks the provider up in its registry,
//     where the harness does not serve it.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getenv(loginHelperEnv) != "" {
		// Run by a provisioner of TestAccEphemeralAPIKey.
		return loginHelperMain()
	}
	dir, err := os.MkdirTemp("", "truenas-acc-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "acceptance tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	rc := filepath.Join(dir, "cli.tfrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "acceptance tests:", err)
		return 1
	}
	os.Setenv("TF_CLI_CONFIG_FILE", rc)

	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		// The repository's bin/terraform, when there is one.
		if p, err := filepath.Abs(filepath.Join("..", "..", "bin", "terraform")); err == nil {
			if _, err := os.Stat(p); err == nil {
				path = p
				os.Setenv("TF_ACC_TERRAFORM_PATH", p)
			}
		}
	}
	if path != "" {
		info, err := detectCLI(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "acceptance tests:", err)
			return 1
		}
		cliUnderTest = info
		host := terraformRegistry
		if info.product == "OpenTofu" {
			host = opentofuRegistry
		}
		setDefaultEnv("TF_ACC_PROVIDER_NAMESPACE", impliedNamespace)
		setDefaultEnv("TF_ACC_PROVIDER_HOST", host)
		fmt.Fprintf(os.Stderr, "acceptance tests: %s v%s (%s), provider %s/%s/truenas\n", info.product, info.version,
			path, os.Getenv("TF_ACC_PROVIDER_HOST"), os.Getenv("TF_ACC_PROVIDER_NAMESPACE"))
	}
	return m.Run()
}

func setDefaultEnv(name, value string) {
	if os.Getenv(name) == "" {
		os.Setenv(name, value)
	}
}

var cliVersionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)\S*$`)

// detectCLI runs `path version` and reads its first line, "Terraform
// v1.8.5" or "OpenTofu v1.12.6".
func detectCLI(path string) (cliInfo, error) {
	cmd := exec.Command(path, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return cliInfo{}, fmt.Errorf("%s version: %v", path, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	m := cliVersionLine.FindStringSubmatch(strings.TrimSpace(first))
	if m == nil {
		return cliInfo{}, fmt.Errorf("%s is neither Terraform nor OpenTofu: `version` says %q", path, first)
	}
	major, _ := strconv.Atoi(m[2])
	minor, _ := strconv.Atoi(m[3])
	return cliInfo{path: path, product: m[1], major: major, minor: minor,
		version: strings.TrimPrefix(strings.TrimSpace(first), m[1]+" v")}, nil
}

// atLeast says whether the CLI's version is major.minor or later.
func (c cliInfo) atLeast(major, minor int) bool {
	return c.major > major || c.major == major && c.minor >= minor
}

// writeOnlyValues says whether the CLI sends write-only values to providers:
// Terraform 1.11 and later, OpenTofu 1.11 and later.
func (c cliInfo) writeOnlyValues() bool { return c.atLeast(1, 11) }

// needWriteOnlyCLI skips a test of write-only arguments on a CLI that
// cannot send them, saying so.
func needWriteOnlyCLI(t *testing.T) {
	t.Helper()
	if !cliUnderTest.writeOnlyValues() {
		t.Skipf("%s v%s does not send write-only values (password_wo needs Terraform or OpenTofu 1.11 or later); "+
			"run with Terraform 1.11+ or OpenTofu (make testacc TF_CLI=terraform-path or TF_CLI=tofu)", cliUnderTest.product, cliUnderTest.version)
	}
}

// overrideKeys are the provider addresses a dev_overrides block must map to
// the built provider for `source = "nasops/truenas"`, with either CLI.
var overrideKeys = []string{
	terraformRegistry + "/" + providerNamespace + "/truenas",
	opentofuRegistry + "/" + providerNamespace + "/truenas",
}

// devOverridesConfig is a CLI configuration that takes the provider from
// dir under every address the CLIs give nasops/truenas.
func devOverridesConfig(dir string) string {
	var b strings.Builder
	b.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, k := range overrideKeys {
		fmt.Fprintf(&b, "    %q = %q\n", k, dir)
	}
	b.WriteString("  }\n  direct {}\n}\n")
	return b.String()
}
