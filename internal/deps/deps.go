//go:build tools

// Package deps pins the modules the project builds on while its packages are
// being written, so that "go mod tidy" keeps them. It is never compiled.
package deps

import (
	_ "github.com/go-crypt/crypt"
	_ "github.com/go-crypt/crypt/algorithm/pbkdf2"
	_ "github.com/go-crypt/crypt/algorithm/shacrypt"
	_ "github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	_ "github.com/hashicorp/terraform-plugin-framework/providerserver"
	_ "github.com/hashicorp/terraform-plugin-go/tfprotov6"
	_ "github.com/hashicorp/terraform-plugin-log/tflog"
	_ "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	_ "github.com/hashicorp/terraform-plugin-testing/knownvalue"
	_ "github.com/hashicorp/terraform-plugin-testing/plancheck"
	_ "github.com/hashicorp/terraform-plugin-testing/statecheck"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "modernc.org/sqlite"
)
