package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/andon-governance/andon"
)

// Op is a kind of operation the load generator performs.
type Op string

// The operations, each one HTTP request.
const (
	// OpGate asks the gate about a digest-pinned image in a non-production
	// environment, as a deployment pipeline does.
	OpGate Op = "gate"
	// OpCreate opens a change that needs an approval.
	OpCreate Op = "create"
	// OpApprove approves a change opened by the load generator, as a user
	// who holds a role the change still needs.
	OpApprove Op = "approve"
)

// Ops lists every Op in the order of reports.
var Ops = []Op{OpGate, OpCreate, OpApprove}

// Mix weighs the operations: each request is OpGate with probability
// Gate/(Gate+Create+Approve), and so on.
type Mix struct {
	Gate    int `json:"gate"`
	Create  int `json:"create"`
	Approve int `json:"approve"`
}

// DefaultMix is mostly gate calls, as in a fleet of pipelines and
// admission webhooks, with some changes opened and approved.
var DefaultMix = Mix{Gate: 90, Create: 5, Approve: 5}

// maxWeight bounds a weight so that the sum of the weights cannot
// overflow; a mix needs no finer grain than a millionth.
const maxWeight = 1_000_000

// ParseMix parses a mix written as "gate=90,create=5,approve=5".
// Operations left out weigh 0; at least one must weigh more. Errors are
// *andon.Error with code EINVALID, and their messages do not name the
// flag, which the caller adds.
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return Mix{}, andon.Errorf(andon.EINVALID, "%q: want OPERATION=WEIGHT, such as gate=90", part)
		}
		w := m.weight(Op(name))
		if w == nil {
			return Mix{}, andon.Errorf(andon.EINVALID, "unknown operation %q: want gate, create or approve", name)
		}
		if seen[name] {
			return Mix{}, andon.Errorf(andon.EINVALID, "operation %q given twice", name)
		}
		seen[name] = true
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 || n > maxWeight {
			return Mix{}, andon.Errorf(andon.EINVALID, "weight of %s: %q is not a whole number from 0 to %d", name, value, maxWeight)
		}
		*w = n
	}
	if m.total() == 0 {
		return Mix{}, andon.Errorf(andon.EINVALID, "%q weighs no operation: give at least one weight above 0, such as gate=1", s)
	}
	return m, nil
}

// String returns the mix in the syntax ParseMix reads.
func (m Mix) String() string {
	return fmt.Sprintf("gate=%d,create=%d,approve=%d", m.Gate, m.Create, m.Approve)
}

// weight returns the field of m that weighs op, or nil for an unknown op.
func (m *Mix) weight(op Op) *int {
	switch op {
	case OpGate:
		return &m.Gate
	case OpCreate:
		return &m.Create
	case OpApprove:
		return &m.Approve
	}
	return nil
}

func (m Mix) total() int { return m.Gate + m.Create + m.Approve }

// pick draws an operation with the mix's weights. The generator of
// math/rand/v2 is safe for concurrent use, so workers share it.
func (m Mix) pick() Op {
	n := rand.IntN(m.total())
	switch {
	case n < m.Gate:
		return OpGate
	case n < m.Gate+m.Create:
		return OpCreate
	}
	return OpApprove
}
