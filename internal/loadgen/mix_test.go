package loadgen_test

import (
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/loadgen"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		in      string
		want    loadgen.Mix
		wantErr string // part of the message; "" for success
	}{
		{in: "gate=90,create=5,approve=5", want: loadgen.Mix{Gate: 90, Create: 5, Approve: 5}},
		{in: " approve = 1 , gate=3 ", want: loadgen.Mix{Gate: 3, Approve: 1}},
		{in: "gate=1", want: loadgen.Mix{Gate: 1}},
		{in: "gate=0,create=2,", want: loadgen.Mix{Create: 2}},
		{in: "foo=1", wantErr: `unknown operation "foo"`},
		{in: "gate", wantErr: `"gate": want OPERATION=WEIGHT`},
		{in: "gate=x", wantErr: `weight of gate: "x" is not a whole number`},
		{in: "gate=-1", wantErr: `weight of gate: "-1"`},
		{in: "gate=1000001", wantErr: `weight of gate: "1000001"`},
		{in: "gate=1,gate=2", wantErr: `operation "gate" given twice`},
		{in: "gate=0", wantErr: "weighs no operation"},
		{in: "", wantErr: "weighs no operation"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := loadgen.ParseMix(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(andon.ErrorMessage(err), tt.wantErr) || andon.ErrorCode(err) != andon.EINVALID {
					t.Fatalf("ParseMix(%q) = %+v, %v; want an invalid error with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMix(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			// String writes what ParseMix reads.
			if again, err := loadgen.ParseMix(got.String()); err != nil || again != got {
				t.Errorf("ParseMix(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}
