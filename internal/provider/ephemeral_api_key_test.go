package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nasops/terraform-provider-truenas/internal/remote"
)

// keyPattern matches a plaintext TrueNAS API key, "<id>-<64 letters and
// digits>", anywhere.
var keyPattern = regexp.MustCompile(`\b[0-9]+-[A-Za-z0-9]{64}\b`)

// loginHelperEnv makes the test binary, run by a local-exec provisioner,
// the login helper: it logs in on the box's middleware socket (a
// streamlocal channel over SSH, as midclt and the provider reach it) with
// auth.login_ex API_KEY_PLAIN and the key in TRUENAS_API_KEY, and appends
// the answer's response_type and the key's id (never the key) to the file
// TRUENAS_LOGIN_RESULT. It exits 1 unless the login succeeds.
const loginHelperEnv = "TRUENAS_TEST_LOGIN_HELPER"

func loginHelperMain() int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "login helper: "+format+"\n", args...)
		return 1
	}
	key := os.Getenv("TRUENAS_API_KEY")
	id, _, ok := strings.Cut(key, "-")
	if !ok || !keyPattern.MatchString(key) {
		return fail("TRUENAS_API_KEY is not an API key")
	}
	port, err := strconv.Atoi(os.Getenv("TRUENAS_PORT"))
	if err != nil {
		return fail("TRUENAS_PORT: %v", err)
	}
	rc := remote.New(remote.Config{Host: os.Getenv("TRUENAS_HOST"), Port: port, User: os.Getenv("TRUENAS_USER"),
		PrivateKeyFile: os.Getenv("TRUENAS_PRIVATE_KEY_FILE"), KnownHostsFile: os.Getenv("TRUENAS_KNOWN_HOSTS_FILE"),
		EngineCommand: "midclt"})
	defer rc.Close()
	raw, err := rc.Call(context.Background(), "auth.login_ex", map[string]any{"mechanism": "API_KEY_PLAIN",
		"username": os.Getenv("TRUENAS_API_KEY_USER"), "api_key": key})
	if err != nil {
		return fail("auth.login_ex: %v", err)
	}
	var r struct {
		ResponseType string `json:"response_type"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fail("auth.login_ex answered %s", raw)
	}
	f, err := os.OpenFile(os.Getenv("TRUENAS_LOGIN_RESULT"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(f, "%s %s\n", r.ResponseType, id)
	if err := f.Close(); err != nil {
		return fail("%v", err)
	}
	if r.ResponseType != "SUCCESS" {
		return fail("auth.login_ex with the key: %s", r.ResponseType)
	}
	return 0
}

// noKeyInState and noKeyInPlan fail when a plaintext API key is anywhere
// in the state or the saved plan, as `show -json` gives them.
type noKeyInState struct{}

func (noKeyInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
	} else if keyPattern.Match(b) {
		resp.Error = fmt.Errorf("an API key is in the state")
	}
}

type noKeyInPlan struct{}

func (noKeyInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	b, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
	} else if keyPattern.Match(b) {
		resp.Error = fmt.Errorf("an API key is in the saved plan")
	}
}

// TestAccEphemeralAPIKey: an ephemeral truenas_api_key gives a
// provisioner a key that logs in on the box's middleware socket during the
// apply; every key it made (one per open: at plan and again at apply,
// each with its own suffix on the name) is deleted by the end of the run;
// no key is in a state, a saved plan or any file the CLI left in its
// working directory.
func TestAccEphemeralAPIKey(t *testing.T) {
	box := startAccBox(t)
	if !cliUnderTest.atLeast(1, 10) || cliUnderTest.product == "OpenTofu" && !cliUnderTest.atLeast(1, 11) {
		t.Skipf("%s v%s has no ephemeral resources (Terraform 1.10+, OpenTofu 1.11+): run with Terraform 1.11 or OpenTofu "+
			"(make testacc TF_CLI=terraform-path or TF_CLI=tofu)", cliUnderTest.product, cliUnderTest.version)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	t.Setenv("TF_ACC_TEMP_DIR", work)
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	result := filepath.Join(t.TempDir(), "logins")

	// The calls on the socket: the provider's creates and deletes, and the
	// helper's login.
	var mu sync.Mutex
	calls := map[string]int{}
	hook := func(args []string) {
		if len(args) == 2 && args[0] == "jsonrpc" {
			mu.Lock()
			calls[args[1]]++
			mu.Unlock()
		}
	}
	box.onCall.Store(&hook)

	config := box.config + fmt.Sprintf(`
ephemeral "truenas_api_key" "k" {
  username   = "root"
  name       = "run"
  expires_in = "30m"
}
resource "terraform_data" "login" {
  input = "logged in"
  provisioner "local-exec" {
    command = %q
    environment = {
      %s                       = "1"
      TRUENAS_API_KEY          = ephemeral.truenas_api_key.k.key
      TRUENAS_API_KEY_USER     = "root"
      TRUENAS_HOST             = %q
      TRUENAS_PORT             = "%d"
      TRUENAS_USER             = "root"
      TRUENAS_PRIVATE_KEY_FILE = %q
      TRUENAS_KNOWN_HOSTS_FILE = %q
      TRUENAS_LOGIN_RESULT     = %q
    }
  }
}
`, self, loginHelperEnv, box.sb.Host, box.sb.Port, box.sb.ClientKeyFile, box.sb.KnownHostsFile, result)
	runKeys := func() []string {
		var rows []map[string]any
		if err := json.Unmarshal(box.call(t, "api_key.query"), &rows); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows {
			if n := fmt.Sprint(r["name"]); strings.HasPrefix(n, "run-") {
				names = append(names, n)
			}
		}
		return names
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{noKeyInPlan{}, plancheck.ExpectResourceAction("terraform_data.login", plancheck.ResourceActionCreate)},
			},
			ConfigStateChecks: []statecheck.StateCheck{noKeyInState{},
				statecheck.ExpectKnownValue("terraform_data.login", tfjsonpath.New("input"), knownvalue.StringExact("logged in"))},
			Check: func(*terraform.State) error {
				// The apply's key was closed with the apply.
				if names := runKeys(); len(names) > 0 {
					return fmt.Errorf("keys of the run still on the box after the apply: %q", names)
				}
				return nil
			},
		}},
	})
	b, err := os.ReadFile(result)
	if err != nil {
		t.Fatalf("the provisioner did not log in: %v", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 || lines[0] != "SUCCESS" {
		t.Fatalf("the provisioner's login with the ephemeral key: %q", b)
	}
	keyID, _ := strconv.ParseInt(lines[1], 10, 64)
	if id := box.idOf(t, "api_key.query", "id", fmt.Sprint(keyID)); id != 0 {
		t.Fatalf("the key the provisioner used (id %d) is still on the box", keyID)
	}
	if names := runKeys(); len(names) > 0 {
		t.Fatalf("keys of the run still on the box: %q", names)
	}
	mu.Lock()
	creates, deletes, logins := calls["api_key.create"], calls["api_key.delete"], calls["auth.login_ex"]
	mu.Unlock()
	// At least the plan's open and the apply's; each deleted.
	if creates < 2 || deletes != creates {
		t.Fatalf("%d keys created and %d deleted: each open must create one and each close delete it", creates, deletes)
	}
	if logins != 1 {
		t.Fatalf("%d logins on the socket, want the provisioner's one", logins)
	}
	// No key in any file the CLI wrote: states, plans, backups, logs.
	n := 0
	err = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			// Directories are walked; links (to the source folder) not.
			return err
		}
		n++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if keyPattern.Match(data) {
			return fmt.Errorf("an API key is in %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the CLI left no file in its working directory to look at")
	}
	t.Logf("%d keys created and deleted, 1 login with the apply's key, no key in %d files of the working directory", creates, n)
}

// TestAccEphemeralAPIKeyValidation: a bad expires_in or name is refused at
// validation, naming the attribute, before anything reaches a box.
func TestAccEphemeralAPIKeyValidation(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	needTerraform(t)
	if !cliUnderTest.atLeast(1, 10) || cliUnderTest.product == "OpenTofu" && !cliUnderTest.atLeast(1, 11) {
		t.Skipf("%s v%s has no ephemeral resources (Terraform 1.10+, OpenTofu 1.11+)", cliUnderTest.product, cliUnderTest.version)
	}
	step := func(args, want string) resource.TestStep {
		return resource.TestStep{
			Config:      noBoxConfig + "ephemeral \"truenas_api_key\" \"k\" {\n  username = \"root\"\n  " + args + "\n}\n",
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(want),
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			step(`expires_in = "soon"`, `(?s)Invalid expires_in.*"soon" is not one`),
			step(`expires_in = "10s"`, `(?s)expires_in must be at least one minute`),
			step(`name = "`+strings.Repeat("n", 192)+`"`, `(?s)name.*length must be between 1 and 191`),
		},
	})
}
