package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
)

// fakeS3 is an in-process S3 server (gofakes3 over real HTTP on loopback)
// that remembers every request's headers.
type fakeS3 struct {
	endpoint  string
	tls       bool
	transport http.RoundTripper

	mu       sync.Mutex
	headers  []http.Header
	requests []string // "METHOD path?query"
}

const testBucket = "ruche-media"

// newFakeS3 starts the fake over TLS when useTLS is set. TLS is how
// production talks to S3, and it matters: over plain HTTP the client signs
// payloads in aws-chunked encoding, which gofakes3 decodes for single PUTs but
// stores undecoded for multipart parts.
func newFakeS3(t *testing.T, useTLS bool) *fakeS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	f := &fakeS3{}
	s3 := gofakes3.New(backend).Server()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.headers = append(f.headers, r.Header.Clone())
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		s3.ServeHTTP(w, r)
	}))
	// gofakes3 writes some error headers twice; net/http's complaint
	// about it is noise here.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if useTLS {
		srv.StartTLS()
		f.transport = srv.Client().Transport
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	f.tls = useTLS
	f.endpoint = strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://")
	return f
}

func (f *fakeS3) config(prefix string) S3Config {
	return S3Config{
		Endpoint:  f.endpoint,
		Region:    "us-east-1",
		Bucket:    testBucket,
		AccessKey: "test-access",
		SecretKey: "test-secret-key",
		UseTLS:    f.tls,
		PathStyle: true,
		Prefix:    prefix,
		Transport: f.transport,
	}
}

// objects lists every key in the bucket, prefix included, sorted; it also
// shows objects left by unfinished multipart uploads, should a
// server expose them.
func (f *fakeS3) objects(t *testing.T) []string {
	t.Helper()
	s, err := NewS3(f.config(""))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for obj := range s.client.ListObjects(context.Background(), testBucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("ListObjects: %v", obj.Err)
		}
		got = append(got, obj.Key)
	}
	slices.Sort(got)
	return got
}

func TestS3(t *testing.T) {
	for _, c := range []struct {
		name   string
		tls    bool
		prefix string
	}{
		{"TLS", true, ""},
		{"TLSPrefix", true, "tenant-1/blobs/"},
		{"PlainHTTP", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			testStore(t, func(t *testing.T) fixture {
				fake := newFakeS3(t, c.tls)
				s, err := NewS3(fake.config(c.prefix))
				if err != nil {
					t.Fatalf("NewS3: %v", err)
				}
				return fixture{store: s, entries: fake.objects}
			})
		})
	}
}

func TestS3PrefixAndNoACL(t *testing.T) {
	fake := newFakeS3(t, false)
	s, err := NewS3(fake.config("ruche/"))
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	mustPut(t, s, "media/ab/cd.jpg", []byte("jpeg bytes"), "image/jpeg")
	if got, want := fake.objects(t), []string{"ruche/media/ab/cd.jpg"}; !slices.Equal(got, want) {
		t.Errorf("bucket keys: got %q, want %q", got, want)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.headers) == 0 {
		t.Fatal("no request reached the fake S3 server")
	}
	for _, h := range fake.headers {
		for name := range h {
			if l := strings.ToLower(name); l == "x-amz-acl" || strings.HasPrefix(l, "x-amz-grant-") {
				t.Errorf("request carried %s: %q; objects must keep the bucket's private default", name, h.Values(name))
			}
		}
	}
}

// TestS3MultipartFailure covers objects above the client's 16 MiB part size,
// which go up as multipart uploads: a failure must abort the upload (no
// orphan parts billed forever) and store nothing.
func TestS3MultipartFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 17 MiB")
	}
	fake := newFakeS3(t, true)
	s, err := NewS3(fake.config(""))
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	const size = 17 << 20
	data := randomBytes(5, size)
	errBoom := errors.New("transcoder died")
	r := io.MultiReader(bytes.NewReader(data[:size-1000]), errReader{errBoom})
	if err := s.Put(context.Background(), "v/big.mp4", r, size, "video/mp4"); !errors.Is(err, errBoom) {
		t.Fatalf("Put: got %v, want %v", err, errBoom)
	}
	if got := fake.objects(t); len(got) != 0 {
		t.Errorf("bucket keys: got %q, want none", got)
	}
	fake.mu.Lock()
	var started, aborted bool
	for _, req := range fake.requests {
		started = started || strings.HasPrefix(req, "POST ") && strings.Contains(req, "uploads")
		aborted = aborted || strings.HasPrefix(req, "DELETE ") && strings.Contains(req, "uploadId=")
	}
	fake.mu.Unlock()
	if !started || !aborted {
		t.Errorf("multipart upload started %v, aborted %v; want both (requests: %q)", started, aborted, fake.requests)
	}

	// And the same size succeeds whole.
	mustPut(t, s, "v/big.mp4", data, "video/mp4")
	if got := readKey(t, s, "v/big.mp4"); !bytes.Equal(got, data) {
		t.Errorf("content: got %d bytes, want the %d put", len(got), len(data))
	}
}

func TestS3CheckBucket(t *testing.T) {
	fake := newFakeS3(t, true)
	s, err := NewS3(fake.config(""))
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	if err := s.CheckBucket(context.Background()); err != nil {
		t.Errorf("CheckBucket on existing bucket: %v", err)
	}
	cfg := fake.config("")
	cfg.Bucket = "no-such-bucket"
	missing, err := NewS3(cfg)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	if err := missing.CheckBucket(context.Background()); err == nil {
		t.Error("CheckBucket on missing bucket: got nil, want an error")
	}
	// A missing bucket is a configuration fault, not a missing object, so
	// Delete must not report success. (Open cannot be checked here: for GET
	// and HEAD the fake, like some servers, answers NoSuchKey.)
	if err := missing.Delete(context.Background(), "a.jpg"); err == nil {
		t.Error("Delete in missing bucket: got nil, want an error")
	}
}

func TestNewS3RefusesBadConfig(t *testing.T) {
	good := S3Config{Endpoint: "s3.example.com", Bucket: "b", Region: "eu-west-3"}
	for _, c := range []struct {
		name   string
		modify func(*S3Config)
	}{
		{"no endpoint", func(c *S3Config) { c.Endpoint = "" }},
		{"scheme in endpoint", func(c *S3Config) { c.Endpoint = "https://s3.example.com" }},
		{"path in endpoint", func(c *S3Config) { c.Endpoint = "s3.example.com/bucket" }},
		{"no bucket", func(c *S3Config) { c.Bucket = "" }},
		{"prefix without slash", func(c *S3Config) { c.Prefix = "ruche" }},
		{"prefix with dot-dot", func(c *S3Config) { c.Prefix = "../x/" }},
		{"prefix leading slash", func(c *S3Config) { c.Prefix = "/ruche/" }},
	} {
		cfg := good
		c.modify(&cfg)
		if _, err := NewS3(cfg); err == nil {
			t.Errorf("%s: got nil error, want one", c.name)
		}
	}
	if _, err := NewS3(good); err != nil {
		t.Errorf("good config: got %v, want nil", err)
	}
}
