package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

var _ function.Function = (*suggestUsernameFunction)(nil)

// NewSuggestUsernameFunction returns provider::truenas::suggest_username.
func NewSuggestUsernameFunction() function.Function { return &suggestUsernameFunction{} }

type suggestUsernameFunction struct{}

func (f *suggestUsernameFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "suggest_username"
}

func (f *suggestUsernameFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Suggest a username from a full name, as the TrueNAS web UI does.",
		MarkdownDescription: "Returns the username the TrueNAS web UI suggests for a full name: one word gives that word; " +
			"several give the first letter of the first word followed by the last word; the result is cut to 8 " +
			"characters and lower-cased (`\"John Doe\"` gives `jdoe`). The suggestion may still break the username rules " +
			"(e.g. a leading digit); `truenas_user` then reports it at plan time.",
		Parameters: []function.Parameter{function.StringParameter{Name: "full_name",
			MarkdownDescription: "The user's full name."}},
		Return: function.StringReturn{},
	}
}

func (f *suggestUsernameFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var fullName string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &fullName))
	if resp.Error != nil {
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Error, resp.Result.Set(ctx, account.SuggestUsername(fullName)))
}
