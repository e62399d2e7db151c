// Turning the engine's and TrueNAS's errors into Terraform diagnostics that
// name the attribute, with secrets hidden.

package provider

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// pathMapper maps the first segment of a TrueNAS attribute (after the
// "user_create." prefix) to a Terraform path. list says whether an index
// after it addresses a list element (sets cannot be addressed by index).
type pathMapper func(field string) (p path.Path, list bool, ok bool)

// addEngineErrors turns an error from the engine (or from the plan-time
// rules) into diagnostics: validation errors become attribute diagnostics,
// others one general error. Messages never contain secrets: they are the
// engine's rule texts.
// secrets are replaced by "(sensitive value)" wherever they would appear.
func addEngineErrors(diags *diag.Diagnostics, summary string, err error, m pathMapper, secrets ...string) {
	var es account.Errors
	if errors.As(err, &es) {
		addValidationErrors(diags, summary, redactErrors(es, secrets), m)
		return
	}
	var ce *account.CallError
	if errors.As(err, &ce) {
		diags.AddError(summary, redact(fmt.Sprintf("TrueNAS refused the call: %s [%s]", ce.Message, ce.Errno.Name()), secrets))
		return
	}
	var nr *errNotReady
	if errors.As(err, &nr) {
		diags.AddError(summary, nr.msg)
		return
	}
	diags.AddError(summary, redact(err.Error(), secrets))
}

// redactErrors hides secret values in validation messages.
func redactErrors(es account.Errors, secrets []string) account.Errors {
	out := make(account.Errors, len(es))
	for i, e := range es {
		e.Message = redact(e.Message, secrets)
		out[i] = e
	}
	return out
}

// redact hides secret values in a message.
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "(sensitive value)")
		}
	}
	return msg
}

// addValidationErrors adds one diagnostic per account.Error.
func addValidationErrors(diags *diag.Diagnostics, summary string, es account.Errors, m pathMapper) {
	for _, e := range es {
		p, ok := mapAttribute(e.Attribute, m)
		var detail string
		if e.Attribute != "" {
			detail = fmt.Sprintf("%s\n\n(TrueNAS attribute %s, %s)", e.Message, e.Attribute, e.Errno.Name())
		} else {
			detail = fmt.Sprintf("%s (%s)", e.Message, e.Errno.Name())
		}
		if ok {
			diags.AddAttributeError(p, summary, detail)
		} else {
			diags.AddError(summary, detail)
		}
	}
}

// mapAttribute maps "user_update.groups.3" to a Terraform path. The prefix
// (everything up to the first dot) is dropped; a bare prefix maps to no
// attribute.
func mapAttribute(attr string, m pathMapper) (path.Path, bool) {
	if attr == "" || m == nil {
		return path.Empty(), false
	}
	parts := strings.Split(attr, ".")
	if len(parts) < 2 {
		return path.Empty(), false
	}
	p, list, ok := m(parts[1])
	if !ok {
		return path.Empty(), false
	}
	if list && len(parts) >= 3 {
		if i, err := strconv.Atoi(parts[2]); err == nil {
			p = p.AtListIndex(i)
		}
	}
	return p, true
}
