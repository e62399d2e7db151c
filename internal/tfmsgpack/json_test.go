package tfmsgpack

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// testType has every kind the converter handles, nested.
var testType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{
	"s":    tftypes.String,
	"n":    tftypes.Number,
	"b":    tftypes.Bool,
	"l":    tftypes.List{ElementType: tftypes.String},
	"set":  tftypes.Set{ElementType: tftypes.Number},
	"m":    tftypes.Map{ElementType: tftypes.Bool},
	"ll":   tftypes.List{ElementType: tftypes.List{ElementType: tftypes.Number}},
	"o":    tftypes.Object{AttributeTypes: map[string]tftypes.Type{"x": tftypes.String, "y": tftypes.Number}},
	"lo":   tftypes.List{ElementType: tftypes.Object{AttributeTypes: map[string]tftypes.Type{"z": tftypes.Bool}}},
	"nil":  tftypes.String,
	"miss": tftypes.Map{ElementType: tftypes.String},
}}

// viaTftypes is what the provider did before: decode with tftypes, ignoring
// undefined attributes, and encode as msgpack.
func viaTftypes(typ tftypes.Type, js []byte) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tftypes panicked: %v", r)
		}
	}()
	v, err := tftypes.ValueFromJSONWithOpts(js, typ, tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true})
	if err != nil {
		return nil, err
	}
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	return dv.MsgPack, err
}

func decode(t testing.TB, typ tftypes.Type, b []byte) tftypes.Value {
	t.Helper()
	v, err := (&tfprotov6.DynamicValue{MsgPack: b}).Unmarshal(typ)
	if err != nil {
		t.Fatalf("the msgpack does not decode: %v", err)
	}
	return v
}

func TestConvertMatchesTftypes(t *testing.T) {
	conv, err := NewConverter(testType)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"all kinds": `{"s":"héllo \"q\" \u00e9\n","n":42,"b":true,"l":["a",null,"c"],"set":[1,2.5,-3],
			"m":{"k2":false,"k1":true},"ll":[[1],[],null],"o":{"x":"X","y":-0},"lo":[{"z":true},{"z":null}],
			"nil":null,"miss":{}}`,
		"attributes missing":        `{"s":"only"}`,
		"attributes the type lacks": `{"gone":{"deep":[1,2]},"s":"kept","old":null}`,
		"whitespace":                " \n{ \"n\" : 7 ,\t\"b\" : false } \n",
		"empty object":              `{}`,
		"null":                      `null`,
		"big integer":               `{"n":123456789012345678901234567890}`,
		"max int64":                 `{"n":9223372036854775807}`,
		"min int64":                 `{"n":-9223372036854775808}`,
		"fraction":                  `{"n":0.1}`,
		"exact fraction":            `{"n":0.5}`,
		"exponent integer":          `{"n":1e3}`,
		"exponent fraction":         `{"n":1.5E-3}`,
		"huge exponent":             `{"n":1e400}`,
		"negative zero float":       `{"n":-0.0}`,
		"invalid UTF-8":             "{\"s\":\"a\xffb\"}",
		"surrogate escape":          `{"s":"\ud83d\ude00 \ud800"}`,
	}
	for name, js := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := viaTftypes(testType, []byte(js))
			if err != nil {
				t.Fatalf("tftypes: %v", err)
			}
			got, err := conv.Convert([]byte(js))
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if gv, wv := decode(t, testType, got), decode(t, testType, want); !gv.Equal(wv) {
				t.Errorf("got  %s\nwant %s", gv, wv)
			}
			// With no map of more than one element, the bytes are the same too.
			if name != "all kinds" && !bytes.Equal(got, want) {
				t.Errorf("bytes differ:\ngot  %x\nwant %x", got, want)
			}
		})
	}
}

func TestConvertMapsAreSorted(t *testing.T) {
	conv, err := NewConverter(tftypes.Map{ElementType: tftypes.String})
	if err != nil {
		t.Fatal(err)
	}
	a, err := conv.Convert([]byte(`{"b":"2","a":"1","c":"3"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := conv.Convert([]byte(`{"c":"3","a":"1","b":"2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("the same map gives different bytes: %x and %x", a, b)
	}
}

// What tftypes reads leniently, or rejects, the converter leaves to it.
func TestConvertLeavesTheUnusualToTftypes(t *testing.T) {
	conv, err := NewConverter(testType)
	if err != nil {
		t.Fatal(err)
	}
	for _, js := range []string{
		`{"s":12}`, `{"s":true}`, `{"n":"12"}`, `{"b":"true"}`, `{"b":1}`, `{"l":"x"}`, `{"m":[]}`, `{"o":[1]}`,
		// A name twice: tftypes checks each value in turn (and keeps the
		// last), encoding/json only the last (FuzzConvert found it).
		`{"s":"first","s":"second"}`, `{"l":{},"l":[]}`, `{"m":{"a":"1","a":"2"}}`, `{"o":{"x":1,"x":2}}`,
	} {
		if _, err := conv.Convert([]byte(js)); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", js, err)
		}
	}
	for _, js := range []string{``, `{`, `{"s":"x"`, `{"n":01}`, `{"n":1.}`, `{"n":-}`, `[1]`, `{"l":[1,]}`, `nul`} {
		got, err := conv.Convert([]byte(js))
		if err == nil {
			t.Errorf("%q: got %x, want an error", js, got)
		}
	}
	for _, typ := range []tftypes.Type{
		tftypes.DynamicPseudoType,
		tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.String}},
		tftypes.List{ElementType: tftypes.DynamicPseudoType},
		tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.String}, OptionalAttributes: map[string]struct{}{"a": {}}},
	} {
		if _, err := NewConverter(typ); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", typ, err)
		}
	}
}

// FuzzConvert checks the converter against tftypes on any input: where
// the converter answers, tftypes gives the same value; where tftypes
// fails, so does the converter. The converter may refuse more (text after
// the value, which tftypes' stream decoder never reads): the caller then
// asks tftypes.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{
		`{"s":"a","n":1,"b":true,"l":["x"],"set":[2],"m":{"k":true},"ll":[[1]],"o":{"x":"y"},"lo":[{"z":false}]}`,
		`{"n":1e308}`, `{"n":-1.25e-7}`, `{"s":"\u0000\\"}`, `{"extra":[{"a":{}}]}`, `null`, `{"m":{"":null}}`,
	} {
		f.Add([]byte(s))
	}
	conv, err := NewConverter(testType)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		if hugeExponent.Match(js) {
			// math/big takes seconds to parse 1e7000000, in tftypes as here.
			t.Skip()
		}
		got, err := conv.Convert(js)
		want, werr := viaTftypes(testType, js)
		switch {
		case errors.Is(err, ErrUnsupported):
		case err == nil && werr != nil:
			t.Fatalf("%q: the converter accepts what tftypes rejects (%v)", js, werr)
		case err == nil:
			if gv, wv := decode(t, testType, got), decode(t, testType, want); !gv.Equal(wv) {
				t.Fatalf("%q:\ngot  %s\nwant %s", js, gv, wv)
			}
		}
	})
}

var hugeExponent = regexp.MustCompile(`[eE][-+]?0*[0-9]{5}`)

// BenchmarkConvert compares the converter with the tftypes round trip on
// a state like a truenas_user's.
func BenchmarkConvert(b *testing.B) {
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	js := []byte(`{`)
	for i := range 8 {
		typ.AttributeTypes[fmt.Sprintf("s%d", i)] = tftypes.String
		typ.AttributeTypes[fmt.Sprintf("b%d", i)] = tftypes.Bool
		typ.AttributeTypes[fmt.Sprintf("l%d", i)] = tftypes.List{ElementType: tftypes.String}
		js = fmt.Appendf(js, `"s%d":"value %d","b%d":true,"l%d":[],`, i, i, i, i)
	}
	typ.AttributeTypes["n"] = tftypes.Number
	js = append(js, `"n":3879,"gone":"x"}`...)
	b.Run("tftypes", func(b *testing.B) {
		for b.Loop() {
			if _, err := viaTftypes(typ, js); err != nil {
				b.Fatal(err)
			}
		}
	})
	conv, err := NewConverter(typ)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("converter", func(b *testing.B) {
		for b.Loop() {
			if _, err := conv.Convert(js); err != nil {
				b.Fatal(err)
			}
		}
	})
}
