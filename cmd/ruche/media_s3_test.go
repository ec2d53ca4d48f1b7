package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestMediaOnS3: with a bucket configured, two nodes share the files: a photo uploaded
// through one is served by the other, and the bucket holds it privately (ruche serves
// it; the bucket's own URL is never handed out).
func TestMediaOnS3(t *testing.T) {
	ctx := context.Background()
	backend := s3mem.New()
	if err := backend.CreateBucket("ruche"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	env := map[string]string{"RUCHE_S3_BUCKET": "ruche", "RUCHE_S3_ENDPOINT": strings.TrimPrefix(srv.URL, "http://"),
		"RUCHE_S3_REGION": "us-east-1", "RUCHE_S3_ACCESS_KEY": "key", "RUCHE_S3_SECRET_KEY": "secret-secret",
		"RUCHE_S3_PATH_STYLE": "true", "RUCHE_S3_INSECURE": "true"}
	db := testdb.New(t)
	one, _ := bootWith(t, db, env)
	two, _ := bootWith(t, db, env)
	s := &fedSite{m: one, posts: &ruche.Posts{Store: one.db.store}}
	ana := s.user(t, "ana")
	a, err := one.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(corpus(t, "exif-gps.jpg"))}, true)
	if err != nil {
		t.Fatal(err)
	}
	code, _, body := fetch(t, two.media.URL(a, ruche.VariantOriginal))
	if code != 200 || len(body) == 0 || bytes.Contains(body, []byte("SECRET")) {
		t.Errorf("the other node serves the photo: %d, %d bytes", code, len(body))
	}
	objects, err := backend.ListBucket("ruche", nil, gofakes3.ListBucketPage{})
	if err != nil || len(objects.Contents) != 2 { // the photo and its thumbnail
		t.Errorf("bucket holds %v (%v), want 2 objects", objects, err)
	}
}
