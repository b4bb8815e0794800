// Command ocipack packages build/apiwarden.wasm as an OCI image for Istio's
// WasmPlugin (and any registry-based Wasm distribution), without a
// container engine: it writes an OCI image layout directory that
// `crane push <dir> <ref>` or `oras cp --from-oci-layout <dir>:<tag> <ref>`
// uploads as is.
//
// The image is Istio's "compat" variant: an ordinary OCI image (so every
// registry and proxy accepts it) whose single layer is a gzipped tar
// holding plugin.wasm; istio-agent extracts that file. The layer tar is
// deterministic (fixed times, owner and mode), so the same module always
// gives the same image digest.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func main() {
	in := flag.String("in", "build/apiwarden.wasm", "the module")
	out := flag.String("out", "build/oci", "the OCI image layout directory to write")
	tag := flag.String("tag", "latest", "the tag recorded in the layout's index")
	flag.Parse()
	module, err := os.ReadFile(*in)
	if err != nil {
		fail(err)
	}
	digest, err := Pack(module, *out, *tag)
	if err != nil {
		fail(err)
	}
	fmt.Printf("wrote %s: image %s (tag %s), layer plugin.wasm %d bytes\n", *out, digest, *tag, len(module))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ocipack:", err)
	os.Exit(1)
}

// Pack writes the OCI image layout for module into dir and returns the
// manifest digest.
func Pack(module []byte, dir, tag string) (string, error) {
	layer, diffID, err := layerOf(module)
	if err != nil {
		return "", err
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "wasm",
		"os":           "wasip1",
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"config":       map[string]any{},
	})
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return "", err
	}
	layerDesc, err := writeBlob(dir, mediaLayer, layer)
	if err != nil {
		return "", err
	}
	configDesc, err := writeBlob(dir, mediaConfig, config)
	if err != nil {
		return "", err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        configDesc,
		"layers":        []descriptor{layerDesc},
	})
	if err != nil {
		return "", err
	}
	manDesc, err := writeBlob(dir, mediaManifest, manifest)
	if err != nil {
		return "", err
	}
	manDesc.Annotations = map[string]string{"org.opencontainers.image.ref.name": tag}
	index, err := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []descriptor{manDesc}})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return "", err
	}
	return manDesc.Digest, nil
}

// layerOf returns the gzipped tar holding plugin.wasm and the digest of
// the uncompressed tar (the image config's diff id).
func layerOf(module []byte) (gz []byte, diffID string, err error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	hdr := &tar.Header{Name: "plugin.wasm", Mode: 0o444, Size: int64(len(module)),
		ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, "", err
	}
	if _, err := tw.Write(module); err != nil {
		return nil, "", err
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(tarBuf.Bytes())
	var gzBuf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gzBuf, gzip.BestCompression)
	if err != nil {
		return nil, "", err
	}
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return gzBuf.Bytes(), "sha256:" + hex.EncodeToString(sum[:]), nil
}

func writeBlob(dir, mediaType string, b []byte) (descriptor, error) {
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", h), b, 0o644); err != nil {
		return descriptor{}, err
	}
	return descriptor{MediaType: mediaType, Digest: "sha256:" + h, Size: int64(len(b))}, nil
}
