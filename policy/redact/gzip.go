package redact

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"sync"
)

// ErrTooLarge is returned by Gunzip when the decompressed body would
// exceed the bound.
var ErrTooLarge = errors.New("redact: decompressed body exceeds the size bound")

var gzReaders sync.Pool // *gzip.Reader
var gzWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// Gunzip decompresses a gzip body (all members), refusing to produce more
// than maxBytes bytes: a decompression bomb stops at the bound with
// ErrTooLarge, having allocated at most about maxBytes. A corrupt stream
// returns the gzip error.
func Gunzip(body []byte, maxBytes int) ([]byte, error) {
	src := bytes.NewReader(body)
	var zr *gzip.Reader
	if v := gzReaders.Get(); v != nil {
		zr = v.(*gzip.Reader)
		if err := zr.Reset(src); err != nil {
			gzReaders.Put(zr)
			return nil, err
		}
	} else {
		var err error
		if zr, err = gzip.NewReader(src); err != nil {
			return nil, err
		}
	}
	defer gzReaders.Put(zr)
	// Guess the size from the trailer (ISIZE, modulo 2^32) but never trust it
	// beyond the bound.
	size := 4 * len(body)
	if len(body) >= 18 {
		t := body[len(body)-4:]
		size = int(uint32(t[0]) | uint32(t[1])<<8 | uint32(t[2])<<16 | uint32(t[3])<<24)
	}
	size = min(max(size, 512), maxBytes+1)
	out := bytes.NewBuffer(make([]byte, 0, size))
	n, err := io.Copy(out, io.LimitReader(zr, int64(maxBytes)+1))
	if err != nil {
		return nil, err
	}
	if n > int64(maxBytes) {
		return nil, ErrTooLarge
	}
	return out.Bytes(), nil
}

// Gzip compresses body with the default level into a fresh slice.
func Gzip(body []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(body)/3 + 64)
	zw := gzWriters.Get().(*gzip.Writer)
	defer gzWriters.Put(zw)
	zw.Reset(&out)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
