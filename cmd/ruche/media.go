package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/ruche-hive/ruche/internal/blob"
	"github.com/ruche-hive/ruche/internal/capurl"
	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/media"
	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// newMedia wires uploads: the blob store the settings name (a local directory, or an
// S3-compatible bucket shared by the nodes), the capability URLs' key (derived from
// RUCHE_SECRET_KEY, so every node signs alike) and the size limits.
func newMedia(cfg config.Config, store *postgres.Store, log *slog.Logger) (*ruche.Media, error) {
	secret, err := readSecret(cfg, log)
	if err != nil {
		return nil, err
	}
	key, previous, err := ruche.MediaURLKeys(secret, cfg.SecretPrevious)
	if err != nil {
		return nil, fmt.Errorf("RUCHE_SECRET_KEY: %w", err)
	}
	var blobs blob.Store
	if s := cfg.Media.S3; s.Bucket != "" {
		if blobs, err = blob.NewS3(blob.S3Config{Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, AccessKey: s.AccessKey,
			SecretKey: s.SecretKey, UseTLS: !s.Insecure, PathStyle: s.PathStyle, Prefix: s.Prefix}); err != nil {
			return nil, fmt.Errorf("RUCHE_S3_BUCKET: %w", err)
		}
	} else {
		if err := os.MkdirAll(cfg.Media.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("RUCHE_MEDIA_DIR: %w", err)
		}
		if blobs, err = blob.NewLocal(cfg.Media.Dir); err != nil {
			return nil, fmt.Errorf("RUCHE_MEDIA_DIR: %w", err)
		}
	}
	signer := capurl.Signer{Key: key, Previous: previous, Period: cfg.Media.URLPeriod}
	if err := signer.Validate(); err != nil {
		return nil, fmt.Errorf("RUCHE_MEDIA_URL_PERIOD: %w", err)
	}
	return &ruche.Media{Store: store, Blobs: blobs, URLs: signer, BaseURL: cfg.BaseURL(), Log: log,
		Limits: media.Limits{Image: cfg.Media.ImageMax, Video: cfg.Media.VideoMax, Audio: cfg.Media.VideoMax, File: cfg.Media.FileMax}}, nil
}
