package sqlstore_test

import (
	"testing"

	"github.com/andon-governance/andon/sqlstore"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://andon:s3cret@db:5432/andon?sslmode=require", "postgres://andon:xxxxx@db:5432/andon?sslmode=require"},
		{"postgres://db/andon?password=s3cret&user=andon", "postgres://db/andon?password=xxxxx&user=andon"},
		{"postgres://andon@db/andon", "postgres://andon@db/andon"},
		{"connect to postgres://u:p@h/d: refused", "connect to postgres://u:xxxxx@h/d: refused"},
		{"sqlite://data/andon.db", "sqlite://data/andon.db"},
	}
	for _, tt := range tests {
		if got := sqlstore.RedactDSN(tt.in); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
