package provider

import (
	"context"
	"regexp"
	"testing"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
)

// secretName matches the attributes that hold a secret, and not those
// that only speak of one (password_wo_version, password_disabled,
// private_key_file...).
var secretName = regexp.MustCompile(`^(password|password_wo|private_key|private_key_passphrase|key)$`)

// Every secret is Sensitive (Terraform hides it in plans and outputs) or
// write-only (Terraform never holds it in a plan or a state, and shows
// "(write-only attribute)" whether it is marked sensitive or not).
func TestSecretsAreNeverShown(t *testing.T) {
	ctx := context.Background()
	p := New("test")()
	var pr fwprovider.SchemaResponse
	p.Schema(ctx, fwprovider.SchemaRequest{}, &pr)
	found := 0
	for name, a := range pr.Schema.Attributes {
		if secretName.MatchString(name) {
			found++
			if !a.IsSensitive() {
				t.Errorf("provider argument %q holds a secret and is not Sensitive", name)
			}
		}
	}
	resources := resourcesOf(ctx, p)
	if len(resources) != 4 {
		t.Fatalf("%d resources with a schema, want 4", len(resources))
	}
	for _, r := range resources {
		for name, a := range r.schema.Attributes {
			if !secretName.MatchString(name) {
				continue
			}
			found++
			if !a.IsSensitive() && !(a.IsWriteOnly() && !a.IsComputed()) {
				t.Errorf("%s.%s holds a secret and is neither Sensitive nor write-only", r.typeName, name)
			}
		}
	}
	// provider: private_key, its passphrase, password; truenas_user:
	// password, password_wo; truenas_api_key: key.
	if found != 6 {
		t.Errorf("found %d secret attributes, want 6: update this test with the schema", found)
	}
}
