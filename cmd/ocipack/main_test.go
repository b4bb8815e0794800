package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readBlob(t *testing.T, dir string, d descriptor) []byte {
	t.Helper()
	h := strings.TrimPrefix(d.Digest, "sha256:")
	b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", h))
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	require.Equal(t, h, hex.EncodeToString(sum[:]), "blob content matches its digest")
	require.EqualValues(t, len(b), d.Size)
	return b
}

func TestPackWritesAnImageIstioCanUnpack(t *testing.T) {
	module := []byte("\x00asm\x01\x00\x00\x00 pretend module")
	dir := t.TempDir()
	digest, err := Pack(module, dir, "0.1.0")
	require.NoError(t, err)

	var index struct {
		SchemaVersion int
		Manifests     []descriptor
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &index))
	require.Len(t, index.Manifests, 1)
	assert.Equal(t, digest, index.Manifests[0].Digest)
	assert.Equal(t, "0.1.0", index.Manifests[0].Annotations["org.opencontainers.image.ref.name"])

	var manifest struct {
		MediaType string
		Config    descriptor
		Layers    []descriptor
	}
	require.NoError(t, json.Unmarshal(readBlob(t, dir, index.Manifests[0]), &manifest))
	assert.Equal(t, mediaManifest, manifest.MediaType)
	require.Len(t, manifest.Layers, 1, "Istio's compat variant: one layer")
	assert.Equal(t, mediaLayer, manifest.Layers[0].MediaType)

	zr, err := gzip.NewReader(bytes.NewReader(readBlob(t, dir, manifest.Layers[0])))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	tr := tar.NewReader(bytes.NewReader(raw))
	hdr, err := tr.Next()
	require.NoError(t, err)
	assert.Equal(t, "plugin.wasm", hdr.Name)
	got, err := io.ReadAll(tr)
	require.NoError(t, err)
	assert.Equal(t, module, got)
	_, err = tr.Next()
	assert.Equal(t, io.EOF, err, "nothing else in the layer")

	var config struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	require.NoError(t, json.Unmarshal(readBlob(t, dir, manifest.Config), &config))
	sum := sha256.Sum256(raw)
	assert.Equal(t, []string{"sha256:" + hex.EncodeToString(sum[:])}, config.RootFS.DiffIDs)

	again, err := Pack(module, t.TempDir(), "0.1.0")
	require.NoError(t, err)
	assert.Equal(t, digest, again, "same module, same image digest")
}
