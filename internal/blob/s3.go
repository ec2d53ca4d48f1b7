package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config locates a bucket on an S3-compatible service.
type S3Config struct {
	// Endpoint is host[:port], without a scheme: "s3.eu-west-3.amazonaws.com",
	// "minio.internal:9000".
	Endpoint string
	// Region is the bucket's region; empty lets the client ask the service,
	// which costs a request and fails on some S3-compatible servers.
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	// UseTLS selects https. Leave it on except for a service on loopback.
	UseTLS bool
	// PathStyle forces path-style requests (bucket in the path), which
	// MinIO, Garage and most self-hosted services need. False lets the
	// client choose (virtual-host style on AWS).
	PathStyle bool
	// Prefix, if set, is prepended to every key so the bucket can be shared;
	// it must end with "/" and otherwise follow the key rules.
	Prefix string
	// Transport, if set, carries the requests; use it to trust a private CA.
	// Nil means the client's default.
	Transport http.RoundTripper
}

// S3 stores objects in a bucket of an S3-compatible service. Objects are
// written without any ACL header, so they get the bucket's default, which
// must be private: viewers are served through the server, never from a
// bucket URL.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// NewS3 returns a store for the bucket in cfg. It does not contact the
// service; call CheckBucket at startup to learn about a wrong endpoint,
// bucket or credentials before the first upload does.
func NewS3(cfg S3Config) (*S3, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, errors.New("blob: S3 endpoint is empty")
	case strings.Contains(cfg.Endpoint, "://") || strings.Contains(cfg.Endpoint, "/"):
		return nil, fmt.Errorf("blob: S3 endpoint %q must be host[:port] without scheme or path; use UseTLS for https", cfg.Endpoint)
	case cfg.Bucket == "":
		return nil, errors.New("blob: S3 bucket is empty")
	}
	if cfg.Prefix != "" {
		if !strings.HasSuffix(cfg.Prefix, "/") || ValidateKey(strings.TrimSuffix(cfg.Prefix, "/")) != nil {
			return nil, fmt.Errorf("blob: S3 prefix %q must end with \"/\" and use only [a-z0-9/._-]", cfg.Prefix)
		}
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseTLS,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: S3 client: %w", err)
	}
	return &S3{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// CheckBucket confirms that the bucket exists and the credentials can reach
// it. It is meant for startup and health checks.
func (s *S3) CheckBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob: S3 bucket %q: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob: S3 bucket %q does not exist", s.bucket)
	}
	return nil
}

// Put implements [Store.Put]. A single PUT (objects up to 16 MiB) is atomic
// on S3; larger objects go up in parts that the client aborts on failure, and
// no object appears until the upload completes.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	contentType, err := checkPut(key, size, contentType)
	if err != nil {
		return err
	}
	er := newExactReader(ctx, r, size)
	opts := minio.PutObjectOptions{ContentType: contentType}
	if size == 0 {
		// Over plain HTTP the client signs the payload in streamed chunks,
		// and for an empty body it then sends no Content-Length, which
		// servers refuse (MissingContentLength). There is nothing to sign.
		opts.DisableContentSha256 = true
	}
	_, err = s.client.PutObject(ctx, s.bucket, s.prefix+key, er, size, opts)
	if err != nil {
		// The client flattens the reader's error into its own; ours says
		// what went wrong in terms the caller can test.
		if er.err != nil {
			return er.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("blob: S3 put: %w", err)
	}
	return nil
}

// Open implements [Store.Open]. Reads of the returned object run under ctx:
// pass the request's context. Each Seek followed by Read issues a ranged GET.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, mapS3Err(err)
	}
	// GetObject is lazy; Stat sends a HEAD, so a missing key is reported
	// here rather than on the first Read, and http.ServeContent's Seek then
	// Read costs one ranged GET, not a full one thrown away.
	info, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		return nil, mapS3Err(err)
	}
	return &s3Object{Object: obj, info: info}, nil
}

// Stat implements [Store.Stat].
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, mapS3Err(err)
	}
	return Info{Size: info.Size, ModTime: info.LastModified, ContentType: s3Type(info)}, nil
}

// Delete implements [Store.Delete].
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(mapS3Err(err), ErrNotFound) {
		return fmt.Errorf("blob: S3 delete: %w", err)
	}
	return nil
}

// mapS3Err turns the client's "no such key" into ErrNotFound; a missing
// bucket stays an error, since it is a configuration fault, not a 404.
func mapS3Err(err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey:
		return ErrNotFound
	case resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket:
		return ErrNotFound
	}
	return fmt.Errorf("blob: S3: %w", err)
}

func s3Type(info minio.ObjectInfo) string {
	if ct, err := checkContentType(info.ContentType); err == nil {
		return ct
	}
	return defaultContentType
}

type s3Object struct {
	*minio.Object
	info minio.ObjectInfo
}

func (o *s3Object) Size() int64         { return o.info.Size }
func (o *s3Object) ModTime() time.Time  { return o.info.LastModified }
func (o *s3Object) ContentType() string { return s3Type(o.info) }
