package provider

import "github.com/hashicorp/terraform-plugin-framework/provider"

// New returns the provider factory. (Placeholder: the provider helper replaces it.)
func New(version string) func() provider.Provider {
	return func() provider.Provider { return nil }
}
