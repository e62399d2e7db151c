//go:build generate

// Package tools pins and runs the documentation tooling. It is a separate
// module so that its dependencies never enter the provider's build; the
// generate build tag is set by "go generate" itself.
package tools

import (
	// Documentation generation.
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

// Format Terraform code for use in documentation. tfplugindocs and this step
// use the first terraform on PATH: `make generate` puts the Terraform 1.11+
// it found first (it reports write-only attributes, which tfplugindocs
// marks); nothing is downloaded.
//go:generate terraform fmt -recursive ../examples/

// Generate documentation.
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name truenas
