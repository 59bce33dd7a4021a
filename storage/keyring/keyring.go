package keyring

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

// Ring is a keyring held in memory. It is safe for concurrent use.
type Ring struct {
	index   []byte
	masters map[uint32]*seal.Box
	current uint32
}

var _ storage.Keyring = (*Ring)(nil)

// versionSize prefixes every wrapped key with the master key version.
const versionSize = 4

// New derives a keyring from one 32-byte secret: the index key and master
// key 1 are derived with HKDF-SHA256 under distinct labels. Meant for tests
// and for deployments that keep a single secret in a vault.
func New(secret []byte) (*Ring, error) {
	if len(secret) != seal.KeySize {
		return nil, fmt.Errorf("keyring: secret is %d bytes; want %d", len(secret), seal.KeySize)
	}
	index, err := hkdf.Key(sha256.New, secret, nil, "impactchat blind index", seal.KeySize)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	master, err := hkdf.Key(sha256.New, secret, nil, "impactchat master key 1", seal.KeySize)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return build(index, map[uint32][]byte{1: master})
}

func build(index []byte, masters map[uint32][]byte) (*Ring, error) {
	if len(index) != seal.KeySize {
		return nil, fmt.Errorf("keyring: index key is %d bytes; want %d", len(index), seal.KeySize)
	}
	if len(masters) == 0 {
		return nil, errors.New("keyring: no master key")
	}
	r := &Ring{index: bytes.Clone(index), masters: make(map[uint32]*seal.Box, len(masters))}
	for v, k := range masters {
		if v == 0 {
			return nil, errors.New("keyring: master key version 0; versions start at 1")
		}
		if bytes.Equal(k, index) {
			return nil, fmt.Errorf("keyring: master key %d equals the index key; they must differ", v)
		}
		b, err := seal.New(k)
		if err != nil {
			return nil, fmt.Errorf("keyring: master key %d: %w", v, err)
		}
		r.masters[v] = b
		r.current = max(r.current, v)
	}
	return r, nil
}

// Current is the version of the master key that wraps new data keys.
func (r *Ring) Current() uint32 { return r.current }

// Version reports which master key version wrapped a key.
func (r *Ring) Version(wrapped []byte) (uint32, bool) {
	if len(wrapped) < versionSize {
		return 0, false
	}
	return binary.BigEndian.Uint32(wrapped), true
}

func wrapAAD(subject []byte, version uint32) []byte {
	return seal.AAD("impactchat data key", string(subject), strconv.FormatUint(uint64(version), 10))
}

// WrapKey implements storage.Keyring.
func (r *Ring) WrapKey(_ context.Context, subject, key []byte) ([]byte, error) {
	if len(key) != seal.KeySize {
		return nil, fmt.Errorf("keyring: data key is %d bytes; want %d", len(key), seal.KeySize)
	}
	out := binary.BigEndian.AppendUint32(nil, r.current)
	return append(out, r.masters[r.current].Seal(key, wrapAAD(subject, r.current))...), nil
}

// UnwrapKey implements storage.Keyring.
func (r *Ring) UnwrapKey(_ context.Context, subject, wrapped []byte) ([]byte, error) {
	v, ok := r.Version(wrapped)
	if !ok {
		return nil, fmt.Errorf("keyring: wrapped key is %d bytes: %w", len(wrapped), storage.ErrCorrupt)
	}
	box := r.masters[v]
	if box == nil {
		return nil, fmt.Errorf("keyring: master key %d is not in the keyring: %w", v, storage.ErrCorrupt)
	}
	key, err := box.Open(wrapped[versionSize:], wrapAAD(subject, v))
	if err != nil {
		return nil, fmt.Errorf("keyring: unwrap with master key %d: %w", v, storage.ErrCorrupt)
	}
	return key, nil
}

// IndexKey implements storage.Keyring.
func (r *Ring) IndexKey(context.Context) ([]byte, error) { return bytes.Clone(r.index), nil }

// Parse reads the key file format (see the package documentation).
func Parse(data []byte) (*Ring, error) {
	var index []byte
	masters := map[uint32][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case f[0] == "index" && len(f) == 2:
			if index != nil {
				return nil, fmt.Errorf("keyring: line %d: a second index key", line)
			}
			k, err := decodeKey(f[1])
			if err != nil {
				return nil, fmt.Errorf("keyring: line %d: index key: %w", line, err)
			}
			index = k
		case f[0] == "master" && len(f) == 3:
			v, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil || v == 0 {
				return nil, fmt.Errorf("keyring: line %d: master key version %q is not a whole number from 1", line, f[1])
			}
			if _, dup := masters[uint32(v)]; dup {
				return nil, fmt.Errorf("keyring: line %d: master key %d listed twice", line, v)
			}
			k, err := decodeKey(f[2])
			if err != nil {
				return nil, fmt.Errorf("keyring: line %d: master key %d: %w", line, v, err)
			}
			masters[uint32(v)] = k
		default:
			return nil, fmt.Errorf("keyring: line %d: want \"index <key>\" or \"master <version> <key>\"", line)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("keyring: line %d is longer than %d bytes", line+1, bufio.MaxScanTokenSize)
		}
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if index == nil {
		return nil, errors.New("keyring: no index key")
	}
	return build(index, masters)
}

func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		k, err = base64.RawURLEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("not base64")
	}
	if len(k) != seal.KeySize {
		return nil, fmt.Errorf("is %d bytes; want %d", len(k), seal.KeySize)
	}
	return k, nil
}

// FromEnv reads a keyring from the environment variable name: either the key
// file format, or one base64 secret given to New. An unset or empty variable
// is an error: the stores never run without keys.
func FromEnv(name string) (*Ring, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return nil, fmt.Errorf("keyring: environment variable %s is not set", name)
	}
	if !strings.ContainsAny(v, " \n") {
		k, err := decodeKey(v)
		if err != nil {
			return nil, fmt.Errorf("keyring: environment variable %s: %w", name, err)
		}
		return New(k)
	}
	r, err := Parse([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("environment variable %s: %w", name, err)
	}
	return r, nil
}

// Option changes how FromFile behaves.
type Option func(*fileOptions)

type fileOptions struct{ create bool }

// Create makes FromFile write a new random key file (mode 0600) when none
// exists at the path.
func Create() Option { return func(o *fileOptions) { o.create = true } }

// FromFile reads a key file. It refuses a file that its group or others may
// read. With Create, a missing file is made with a fresh index key and master
// key 1; two processes creating it at once end with the same file.
func FromFile(path string, opts ...Option) (*Ring, error) {
	var o fileOptions
	for _, opt := range opts {
		opt(&o)
	}
	r, err := load(path)
	if errors.Is(err, fs.ErrNotExist) && o.create {
		if err := create(path); err != nil {
			return nil, err
		}
		return load(path)
	}
	return r, err
}

// maxKeyFile bounds a key file: some four thousand rotations.
const maxKeyFile = 256 << 10

// readKeyFile reads the key file at path, refusing one over maxKeyFile
// without reading it all.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("keyring: key file %s is larger than %d bytes", path, maxKeyFile)
	}
	return data, nil
}

func load(path string) (*Ring, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keyring: key file %s has mode %#o; others may read it (want 0600)", path, info.Mode().Perm())
	}
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return r, nil
}

const header = "# impactchat keyring. Keep it secret and back it up apart from the database:\n# without it every sealed value is lost.\n"

func line(kind string, key []byte) string {
	return kind + " " + base64.StdEncoding.EncodeToString(key) + "\n"
}

func create(path string) error {
	text := header + line("index", seal.NewKey()) + line("master 1", seal.NewKey())
	tmp, err := writeTemp(path, text)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// Link fails if the path exists, so a concurrent creator's file wins
	// whole and neither is ever seen half written.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("keyring: create key file: %w", err)
	}
	return nil
}

func writeTemp(path, text string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".keyring-*")
	if err != nil {
		return "", fmt.Errorf("keyring: %w", err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("keyring: write key file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.WriteString(text); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("keyring: write key file: %w", err)
	}
	return name, nil
}

// Rotate adds a new random master key to the key file, with the next
// version; stores opened after it wrap new data keys with it, and every
// older key still unwraps. It returns the new version. Re-wrapping existing
// data keys is the store's job (see the sqlite and postgres Rewrap methods).
func Rotate(path string) (uint32, error) {
	r, err := load(path)
	if err != nil {
		return 0, err
	}
	data, err := readKeyFile(path)
	if err != nil {
		return 0, err
	}
	if r.current == math.MaxUint32 {
		return 0, fmt.Errorf("keyring: rotate: the newest master key has the last version (%d); a key file can hold no later one", r.current)
	}
	next := r.current + 1
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += line("master "+strconv.FormatUint(uint64(next), 10), seal.NewKey())
	tmp, err := writeTemp(path, text)
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("keyring: rotate: %w", err)
	}
	return next, nil
}

// Versions lists the master key versions the keyring holds, oldest first.
func (r *Ring) Versions() []uint32 {
	vs := make([]uint32, 0, len(r.masters))
	for v := range r.masters {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}
