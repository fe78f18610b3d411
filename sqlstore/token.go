package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/andon-governance/andon"
)

// TokenService implements andon.TokenService. Tokens are random and kept
// only as SHA-256 hashes.
type TokenService struct {
	db *DB
}

// NewTokenService returns a TokenService over db.
func NewTokenService(db *DB) *TokenService { return &TokenService{db: db} }

var _ andon.TokenService = (*TokenService)(nil)

// tokenPrefix marks andon tokens so that secret scanners can find them.
const tokenPrefix = "andon_"

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken issues a new token for user. The actor recorded in the
// audit log is the user of ctx, or "admin" for the offline command.
func (s *TokenService) CreateToken(ctx context.Context, user string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, s.AddToken(ctx, user, token)
}

// AddToken registers a token chosen by the caller; the demo uses it for
// its well-known tokens.
func (s *TokenService) AddToken(ctx context.Context, user, token string) error {
	user = strings.TrimSpace(user)
	if user == "" {
		return andon.Errorf(andon.EINVALID, "user: required")
	}
	if len(token) < 8 {
		return andon.Errorf(andon.EINVALID, "token: too short")
	}
	actor := andon.UserNameFromContext(ctx)
	if actor == "" {
		actor = "admin"
	}
	_, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO tokens (hash, username, created_at) VALUES (?, ?, ?)`, hashToken(token), user, micros(tx.now)); err != nil {
			return err
		}
		// The token itself is never recorded, only who got one.
		tx.Record(andon.Event{Type: andon.EventTokenCreated, Actor: actor, Subject: user})
		return nil
	})
	return err
}

// Authenticate returns the user a token was issued to.
func (s *TokenService) Authenticate(ctx context.Context, token string) (string, error) {
	var user string
	err := s.db.readRow(ctx, `SELECT username FROM tokens WHERE hash = ?`, hashToken(token)).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", andon.Errorf(andon.EUNAUTHORIZED, "invalid token")
	}
	return user, err
}
