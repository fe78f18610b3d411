package andon_test

import (
	"fmt"
	"testing"

	"github.com/andon-governance/andon"
)

// TestErrorReadsAsItsMessage checks that an *Error shows its message
// alone where it is printed or wrapped, as a log record's err does, and
// keeps its code for ErrorCode through the wrapping.
func TestErrorReadsAsItsMessage(t *testing.T) {
	err := fmt.Errorf("gate policy: %w", andon.Errorf(andon.EINTERNAL, "andon.gate: gate.rego:5: reasons: is empty"))
	if got, want := err.Error(), "gate policy: andon.gate: gate.rego:5: reasons: is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := andon.ErrorCode(err); got != andon.EINTERNAL {
		t.Errorf("ErrorCode = %q, want %q", got, andon.EINTERNAL)
	}
	if got := andon.ErrorMessage(err); got != "andon.gate: gate.rego:5: reasons: is empty" {
		t.Errorf("ErrorMessage = %q", got)
	}
}
