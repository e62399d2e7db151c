package provider

import (
	"context"
	"fmt"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// modelCodec converts between a resource's model struct and its Terraform
// value directly, attribute by attribute. It does what tfsdk.State's Get
// and Set do for a flat schema of primitive, list and set attributes, at a
// fraction of the cost: the framework looks every attribute up by path
// in the schema again for each value, which is most of the CPU time of
// reading a resource.
type modelCodec[T any] struct {
	typ    tftypes.Object
	fields []codecField
}

type codecField struct {
	name  string
	index int
	typ   attr.Type
}

// newModelCodec matches the fields of T (by their tfsdk tags) with the
// attributes of s. It fails unless each attribute has exactly one field
// of the attribute's value type, and s has no blocks.
func newModelCodec[T any](ctx context.Context, s schema.Schema) (*modelCodec[T], error) {
	if len(s.Blocks) > 0 {
		return nil, fmt.Errorf("schema has blocks")
	}
	typ, ok := s.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		return nil, fmt.Errorf("schema type is not an object")
	}
	c := &modelCodec[T]{typ: typ}
	rt := reflect.TypeFor[T]()
	if rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%s is not a struct", rt)
	}
	seen := map[string]bool{}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name := f.Tag.Get("tfsdk")
		if name == "" || name == "-" {
			continue
		}
		a, ok := s.Attributes[name]
		if !ok {
			return nil, fmt.Errorf("field %s: no attribute %q", f.Name, name)
		}
		at := a.GetType()
		if vt := reflect.TypeOf(at.ValueType(ctx)); vt != f.Type {
			return nil, fmt.Errorf("field %s is a %s, attribute %q holds a %s", f.Name, f.Type, name, vt)
		}
		seen[name] = true
		c.fields = append(c.fields, codecField{name: name, index: i, typ: at})
	}
	for name := range s.Attributes {
		if !seen[name] {
			return nil, fmt.Errorf("attribute %q has no field", name)
		}
	}
	return c, nil
}

// decode reads a non-null object value into a model.
func (c *modelCodec[T]) decode(ctx context.Context, v tftypes.Value) (T, error) {
	var m T
	if !v.Type().Equal(c.typ) || v.IsNull() || !v.IsKnown() {
		return m, fmt.Errorf("not a known object of the schema's type")
	}
	vals := map[string]tftypes.Value{}
	if err := v.As(&vals); err != nil {
		return m, err
	}
	rv := reflect.ValueOf(&m).Elem()
	for _, f := range c.fields {
		av, err := f.typ.ValueFromTerraform(ctx, vals[f.name])
		if err != nil {
			return m, fmt.Errorf("%s: %w", f.name, err)
		}
		rv.Field(f.index).Set(reflect.ValueOf(av))
	}
	return m, nil
}

// encode builds the object value of a model.
func (c *modelCodec[T]) encode(ctx context.Context, m *T) (tftypes.Value, error) {
	rv := reflect.ValueOf(m).Elem()
	vals := make(map[string]tftypes.Value, len(c.fields))
	for _, f := range c.fields {
		tv, err := rv.Field(f.index).Interface().(attr.Value).ToTerraformValue(ctx)
		if err != nil {
			return tftypes.Value{}, fmt.Errorf("%s: %w", f.name, err)
		}
		vals[f.name] = tv
	}
	if err := tftypes.ValidateValue(c.typ, vals); err != nil {
		return tftypes.Value{}, err
	}
	return tftypes.NewValue(c.typ, vals), nil
}
