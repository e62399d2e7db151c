package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// modelCodec converts between a resource's model struct and the msgpack
// encoding of its Terraform value (what the plugin protocol carries),
// directly, attribute by attribute. It does what decoding with tftypes and
// tfsdk.State's Get, and Set and encoding, do for a flat schema of
// strings, numbers, bools, and lists and sets of those, at a fraction of
// the cost: the framework looks every attribute up by path in the schema
// again for each value, which was most of the CPU time of reading a
// resource, and tftypes builds a tree of values on the way.
//
// It handles known values only, and numbers only as 64-bit integers
// written as msgpack integers: anything else is an error, and the caller
// leaves the request to the framework.
type modelCodec[T any] struct {
	typ    tftypes.Object
	fields []codecField // sorted by name, as tftypes writes an object
	byName map[string]int
}

type codecField struct {
	name  string
	index int // in T
	kind  valueKind
	elem  valueKind // of a list or set
	typ   attr.Type
}

type valueKind uint8

const (
	kindString valueKind = iota + 1
	kindInt64
	kindBool
	kindList
	kindSet
)

// kindOf says how a value of the attribute type t is converted; 0 for a
// type the codec does not handle.
func kindOf(t attr.Type) (kind, elem valueKind) {
	switch t := t.(type) {
	case types.ListType:
		if e, _ := kindOf(t.ElemType); e <= kindBool {
			return kindList, e
		}
	case types.SetType:
		if e, _ := kindOf(t.ElemType); e <= kindBool {
			return kindSet, e
		}
	}
	switch {
	case t.Equal(types.StringType):
		return kindString, 0
	case t.Equal(types.Int64Type):
		return kindInt64, 0
	case t.Equal(types.BoolType):
		return kindBool, 0
	}
	return 0, 0
}

// newModelCodec matches the fields of T (by their tfsdk tags) with the
// attributes of s. It fails unless each attribute has exactly one field
// of the attribute's value type, of a kind the codec converts, and s has
// no blocks.
func newModelCodec[T any](ctx context.Context, s schema.Schema) (*modelCodec[T], error) {
	if len(s.Blocks) > 0 {
		return nil, fmt.Errorf("schema has blocks")
	}
	typ, ok := s.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		return nil, fmt.Errorf("schema type is not an object")
	}
	c := &modelCodec[T]{typ: typ, byName: map[string]int{}}
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
		kind, elem := kindOf(at)
		if kind == 0 {
			return nil, fmt.Errorf("attribute %q: type %s not handled", name, at)
		}
		seen[name] = true
		c.fields = append(c.fields, codecField{name: name, index: i, kind: kind, elem: elem, typ: at})
	}
	for name := range s.Attributes {
		if !seen[name] {
			return nil, fmt.Errorf("attribute %q has no field", name)
		}
	}
	slices.SortFunc(c.fields, func(a, b codecField) int {
		if a.name < b.name {
			return -1
		}
		return 1
	})
	for i, f := range c.fields {
		c.byName[f.name] = i
	}
	return c, nil
}

var errNotHandled = errors.New("a value the codec does not handle")

// decode reads the msgpack encoding of a known, non-null object value.
func (c *modelCodec[T]) decode(b []byte) (T, error) {
	var m T
	r := &mpReader{b: b}
	n, err := r.mapLen()
	if err != nil {
		return m, err
	}
	if n != len(c.fields) {
		return m, fmt.Errorf("%w: an object of %d attributes, not %d", errNotHandled, n, len(c.fields))
	}
	rv := reflect.ValueOf(&m).Elem()
	seen := make([]bool, len(c.fields))
	for range n {
		name, err := r.str()
		if err != nil {
			return m, err
		}
		i, ok := c.byName[name]
		if !ok || seen[i] {
			return m, fmt.Errorf("%w: attribute %q", errNotHandled, name)
		}
		seen[i] = true
		f := c.fields[i]
		v, err := decodeValue(r, f.kind, f.elem, f.typ)
		if err != nil {
			return m, fmt.Errorf("%s: %w", f.name, err)
		}
		rv.Field(f.index).Set(reflect.ValueOf(v))
	}
	if r.i != len(b) {
		return m, fmt.Errorf("%w: data after the object", errNotHandled)
	}
	return m, nil
}

func decodeValue(r *mpReader, kind, elem valueKind, t attr.Type) (attr.Value, error) {
	if r.null() {
		switch kind {
		case kindString:
			return types.StringNull(), nil
		case kindInt64:
			return types.Int64Null(), nil
		case kindBool:
			return types.BoolNull(), nil
		case kindList:
			return types.ListNull(t.(types.ListType).ElemType), nil
		case kindSet:
			return types.SetNull(t.(types.SetType).ElemType), nil
		}
	}
	switch kind {
	case kindString:
		s, err := r.str()
		return types.StringValue(s), err
	case kindInt64:
		i, err := r.int64()
		return types.Int64Value(i), err
	case kindBool:
		v, err := r.bool()
		return types.BoolValue(v), err
	case kindList, kindSet:
		n, err := r.arrayLen()
		if err != nil {
			return nil, err
		}
		var et attr.Type
		if kind == kindList {
			et = t.(types.ListType).ElemType
		} else {
			et = t.(types.SetType).ElemType
		}
		elems := make([]attr.Value, n)
		for i := range elems {
			if elems[i], err = decodeValue(r, elem, 0, et); err != nil {
				return nil, err
			}
		}
		if kind == kindSet && hasDuplicates(elems) {
			return nil, fmt.Errorf("%w: a set with duplicate elements", errNotHandled)
		}
		var diags diag.Diagnostics
		var v attr.Value
		if kind == kindList {
			v, diags = types.ListValue(et, elems)
		} else {
			v, diags = types.SetValue(et, elems)
		}
		if diags.HasError() {
			return nil, fmt.Errorf("%w: %v", errNotHandled, diags)
		}
		return v, nil
	}
	return nil, errNotHandled
}

// mpReader reads the msgpack encodings of the values the codec handles
// from a byte slice. Anything else, an unknown value (a msgpack
// extension) among them, is errNotHandled.
type mpReader struct {
	b []byte
	i int
}

func (r *mpReader) next(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.i {
		return nil, fmt.Errorf("%w: truncated msgpack", errNotHandled)
	}
	p := r.b[r.i : r.i+n]
	r.i += n
	return p, nil
}

func (r *mpReader) code() (byte, error) {
	p, err := r.next(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// uint reads a big-endian unsigned integer of size bytes.
func (r *mpReader) uint(size int) (uint64, error) {
	p, err := r.next(size)
	var u uint64
	for _, c := range p {
		u = u<<8 | uint64(c)
	}
	return u, err
}

// null reads a nil if one is next.
func (r *mpReader) null() bool {
	if r.i < len(r.b) && r.b[r.i] == msgpcode.Nil {
		r.i++
		return true
	}
	return false
}

// length reads the length of a string, array or map: lo to hi are the
// codes of its one-byte forms (the length in the bits of mask), c8, c16
// and c32 the codes of its longer forms (c8 0: none).
func (r *mpReader) length(lo, hi, mask, c8, c16, c32 byte) (int, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c >= lo && c <= hi:
		n = uint64(c & mask)
	case c8 != 0 && c == c8:
		n, err = r.uint(1)
	case c == c16:
		n, err = r.uint(2)
	case c == c32:
		n, err = r.uint(4)
	default:
		return 0, fmt.Errorf("%w: msgpack code %#x", errNotHandled, c)
	}
	// Each element or byte takes a byte at least: a longer length is a lie.
	if err != nil || n > uint64(len(r.b)-r.i) {
		return 0, errors.Join(err, fmt.Errorf("%w: truncated msgpack", errNotHandled))
	}
	return int(n), nil
}

func (r *mpReader) str() (string, error) {
	n, err := r.length(msgpcode.FixedStrLow, msgpcode.FixedStrHigh, msgpcode.FixedStrMask,
		msgpcode.Str8, msgpcode.Str16, msgpcode.Str32)
	if err != nil {
		return "", err
	}
	p, err := r.next(n)
	return string(p), err
}

func (r *mpReader) arrayLen() (int, error) {
	return r.length(msgpcode.FixedArrayLow, msgpcode.FixedArrayHigh, msgpcode.FixedArrayMask,
		0, msgpcode.Array16, msgpcode.Array32)
}

func (r *mpReader) mapLen() (int, error) {
	return r.length(msgpcode.FixedMapLow, msgpcode.FixedMapHigh, msgpcode.FixedMapMask,
		0, msgpcode.Map16, msgpcode.Map32)
}

func (r *mpReader) bool() (bool, error) {
	c, err := r.code()
	switch {
	case err != nil:
		return false, err
	case c == msgpcode.True:
		return true, nil
	case c == msgpcode.False:
		return false, nil
	}
	return false, fmt.Errorf("%w: msgpack code %#x", errNotHandled, c)
}

// int64 reads an integer; a float or a number written as a string (which
// the framework reads too) is errNotHandled.
func (r *mpReader) int64() (int64, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	if msgpcode.IsFixedNum(c) {
		return int64(int8(c)), nil
	}
	var u uint64
	switch c {
	case msgpcode.Uint8, msgpcode.Int8:
		u, err = r.uint(1)
	case msgpcode.Uint16, msgpcode.Int16:
		u, err = r.uint(2)
	case msgpcode.Uint32, msgpcode.Int32:
		u, err = r.uint(4)
	case msgpcode.Uint64, msgpcode.Int64:
		u, err = r.uint(8)
	default:
		return 0, fmt.Errorf("%w: msgpack code %#x", errNotHandled, c)
	}
	switch c {
	case msgpcode.Int8:
		return int64(int8(u)), err
	case msgpcode.Int16:
		return int64(int16(u)), err
	case msgpcode.Int32:
		return int64(int32(u)), err
	case msgpcode.Int64:
		return int64(u), err
	case msgpcode.Uint64:
		if u > math.MaxInt64 {
			return 0, fmt.Errorf("%w: an integer beyond int64", errNotHandled)
		}
	}
	return int64(u), err
}

// hasDuplicates says whether two of the primitive values are the same;
// the framework rejects such a set.
func hasDuplicates(elems []attr.Value) bool {
	if len(elems) < 2 {
		return false
	}
	seen := make(map[attr.Value]bool, len(elems))
	for _, e := range elems {
		if seen[e] {
			return true
		}
		seen[e] = true
	}
	return false
}

// encode writes the msgpack encoding of a model whose values are all
// known.
func (c *modelCodec[T]) encode(m *T) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	if err := enc.EncodeMapLen(len(c.fields)); err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(m).Elem()
	for _, f := range c.fields {
		if err := enc.EncodeString(f.name); err != nil {
			return nil, err
		}
		v := rv.Field(f.index).Interface().(attr.Value)
		if err := encodeValue(enc, v); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return buf.Bytes(), nil
}

func encodeValue(enc *msgpack.Encoder, v attr.Value) error {
	if v.IsUnknown() {
		return fmt.Errorf("%w: an unknown value", errNotHandled)
	}
	if v.IsNull() {
		return enc.EncodeNil()
	}
	switch v := v.(type) {
	case types.String:
		return enc.EncodeString(v.ValueString())
	case types.Int64:
		return enc.EncodeInt(v.ValueInt64())
	case types.Bool:
		return enc.EncodeBool(v.ValueBool())
	case types.List:
		return encodeElements(enc, v.Elements())
	case types.Set:
		return encodeElements(enc, v.Elements())
	}
	return fmt.Errorf("%w: %T", errNotHandled, v)
}

func encodeElements(enc *msgpack.Encoder, elems []attr.Value) error {
	if err := enc.EncodeArrayLen(len(elems)); err != nil {
		return err
	}
	for _, e := range elems {
		if err := encodeValue(enc, e); err != nil {
			return err
		}
	}
	return nil
}

// field returns the value of the attribute name in m.
func (c *modelCodec[T]) field(m *T, name string) attr.Value {
	return reflect.ValueOf(m).Elem().Field(c.fields[c.byName[name]].index).Interface().(attr.Value)
}
