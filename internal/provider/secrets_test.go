package provider

import (
	"context"
	"regexp"
	"testing"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
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
	var md fwprovider.MetadataResponse
	p.Metadata(ctx, fwprovider.MetadataRequest{}, &md)
	for _, f := range p.Resources(ctx) {
		r := f()
		var rmd resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: md.TypeName}, &rmd)
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		for name, a := range sr.Schema.Attributes {
			if !secretName.MatchString(name) {
				continue
			}
			found++
			if !a.IsSensitive() && !(a.IsWriteOnly() && !a.IsComputed()) {
				t.Errorf("%s.%s holds a secret and is neither Sensitive nor write-only", rmd.TypeName, name)
			}
		}
	}
	// provider: private_key, its passphrase, password; truenas_user:
	// password, password_wo; truenas_api_key: key.
	if found != 6 {
		t.Errorf("found %d secret attributes, want 6: update this test with the schema", found)
	}
}
