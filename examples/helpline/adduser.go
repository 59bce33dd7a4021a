package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/storage"
	"golang.org/x/crypto/bcrypt"
)

const minPassword = 12

// addUser creates a staff account. The password is read from standard
// input, so it never appears in the shell history or the process list.
func addUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("helpline adduser", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "helpline.db", "a SQLite file path or a postgres:// URL")
	keyFile := fs.String("keyfile", "", "keyring file (default: the database path + \".key\")")
	login := fs.String("login", "", "the login (required)")
	name := fs.String("name", "", "the name colleagues see (default: the login)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	*login = strings.TrimSpace(*login)
	if *login == "" {
		return errors.New("adduser: -login is required")
	}
	if *name == "" {
		*name = *login
	}
	fmt.Fprintf(stdout, "Password for %s (at least %d characters), then Enter: ", *login, minPassword)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("adduser: no password given on standard input")
	}
	password := strings.TrimRight(line, "\r\n")
	fmt.Fprintln(stdout)
	if n := utf8.RuneCountInString(password); n < minPassword {
		return fmt.Errorf("adduser: the password has %d characters; at least %d are needed", n, minPassword)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("adduser: %w", err)
	}
	st, _, err := openStore(ctx, *db, *keyFile, getenv, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	acct, err := st.Staff().Create(ctx, storage.StaffAccount{Login: *login, Name: *name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("adduser: the login %q exists already", *login)
	}
	if err != nil {
		return fmt.Errorf("adduser: %w", err)
	}
	_ = st.Audit().Append(ctx, storage.AuditEntry{At: now, Actor: "system", Action: "staff.created", Target: acct.ID})
	fmt.Fprintf(stdout, "Created the staff account %s. Sign in at /console/.\n", *login)
	return nil
}
