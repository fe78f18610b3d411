package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/andon-governance/andon"
)

// readBodies reads from the read pool the JSON bodies that q selects, one
// column a row, each decoded as a T, in the order of the rows; what names
// them in the error of one that does not decode.
func readBodies[T any](ctx context.Context, db *DB, what, q string, args ...any) ([]*T, error) {
	rows, err := db.readQuery(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []*T{}
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal(body, v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// readBody reads from the read pool the JSON body of the one row that q
// selects, decoded as a T; ENOTFOUND saying notFound when there is none.
func readBody[T any](ctx context.Context, db *DB, notFound, q string, args ...any) (*T, error) {
	var body []byte
	err := db.readRow(ctx, q, args...).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, andon.Errorf(andon.ENOTFOUND, "%s", notFound)
	} else if err != nil {
		return nil, err
	}
	v := new(T)
	return v, json.Unmarshal(body, v)
}
