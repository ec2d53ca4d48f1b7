package media

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"sync"

	"github.com/buckket/go-blurhash"
	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
	"golang.org/x/sync/semaphore"
)

// Image is a cleaned image: everything in it was written by us from decoded pixels, so no
// metadata of the upload (EXIF, XMP, IPTC, PNG text, WebP EXIF, GIF comments) survives.
type Image struct {
	Bytes         []byte
	MIME          Kind // KindJPEG, KindPNG or KindGIF
	Width, Height int
	Frames        int // more than 1 for an animated GIF
	// Thumbnail is a still copy no larger than ImageOptions.ThumbSide, JPEG, or PNG when
	// the image has transparency. Avatar and Header leave it empty.
	Thumbnail Thumbnail
	Blurhash  string
	Focus     Focus
}

// Thumbnail is a small still version of an Image.
type Thumbnail struct {
	Bytes         []byte
	MIME          Kind
	Width, Height int
}

// Focus is the point to keep in view when the image is cropped, from -1 to 1 on each
// axis, (0, 0) the centre and Y pointing up (the convention of Mastodon's API).
type Focus struct{ X, Y float64 }

// ImageOptions bound and shape the image pipeline. The zero value uses the defaults.
type ImageOptions struct {
	MaxBytes  int64 // largest upload read; default DefaultLimits().Image
	MaxSide   int   // longest side of the output; default 4096
	ThumbSide int   // longest side of the thumbnail; default 640
	// MaxPixels caps width*height as declared in the header, checked before decoding;
	// default 50 megapixels. At that size decoding takes about 100 MB for a JPEG and up
	// to 600 MB for a 16-bit PNG (8 bytes a pixel, then 4 to convert).
	MaxPixels int64
	// MaxGIFPixels caps the sum of all frames' areas of a GIF; default 100 megapixels
	// (one byte each). MaxFrames caps their number; default 1000.
	MaxGIFPixels int64
	MaxFrames    int
}

func (o ImageOptions) withDefaults() ImageOptions {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxBytes, DefaultLimits().Image)
	def(&o.MaxPixels, 50_000_000)
	def(&o.MaxGIFPixels, 100_000_000)
	if o.MaxSide <= 0 {
		o.MaxSide = 4096
	}
	if o.ThumbSide <= 0 {
		o.ThumbSide = 640
	}
	if o.MaxFrames <= 0 {
		o.MaxFrames = 1000
	}
	return o
}

// CleanImage is ImageOptions{MaxSide: maxSide}.Clean(r): the defaults, and maxSide (4096
// if zero) as the longest side.
func CleanImage(r io.Reader, maxSide int) (*Image, error) {
	return ImageOptions{MaxSide: maxSide}.Clean(r)
}

// Clean reads one JPEG, PNG, GIF or WebP image from r and re-encodes it from its pixels:
// EXIF orientation applied, scaled down to MaxSide, JPEG stays JPEG (quality 85), PNG
// stays PNG, GIF stays GIF (animation kept), WebP becomes PNG with transparency or JPEG
// without. It also makes the thumbnail and the blurhash. Any caller may use it; it holds
// the whole image in memory, so callers bound how many run at once.
//
// Errors: ErrEmpty, ErrTooLarge (more than MaxBytes), ErrUnsupported (not one of the four
// formats, SVG included), ErrDimensions (too many pixels or frames, refused before
// decoding them), ErrCorrupt (truncated or malformed).
func (o ImageOptions) Clean(r io.Reader) (*Image, error) {
	o = o.withDefaults()
	d, err := o.decode(r)
	if err != nil {
		return nil, err
	}
	defer d.release()
	var out *Image
	if d.gif != nil {
		out, err = o.cleanGIF(d)
	} else {
		out, err = o.cleanStill(d)
	}
	if err != nil {
		return nil, err
	}
	still := d.still
	if d.gif != nil {
		still = firstFrame(d.gif, min(o.MaxSide, o.ThumbSide))
	}
	small := fit(still, o.ThumbSide)
	if out.Thumbnail, err = thumbnail(small); err != nil {
		return nil, err
	}
	if out.Blurhash, err = hash(small); err != nil {
		return nil, err
	}
	return out, nil
}

type decoded struct {
	kind    Kind
	still   image.Image // upright, for everything but GIF
	gif     *gif.GIF
	release func() // gives back the image's share of DecodeBudget
}

// DecodeBudget is the memory, in bytes, that images being cleaned may hold at once in
// this process. A small file can declare many pixels of 16-bit colour: each image
// takes its share before its pixels are decoded, and waits while others hold it, so
// many uploads at once slow down rather than exhaust memory.
const DecodeBudget = 512 << 20

var decoding = semaphore.NewWeighted(DecodeBudget)

// decodeWeight is what decoding an image of cfg holds in memory: its pixels, at up to
// 8 bytes each for 16-bit colour, and a working copy.
func decodeWeight(cfg image.Config) int64 {
	bpp := int64(4)
	switch cfg.ColorModel {
	case color.Gray16Model, color.RGBA64Model, color.NRGBA64Model, color.Alpha16Model:
		bpp = 8
	}
	return 2 * bpp * int64(cfg.Width) * int64(cfg.Height)
}

// decode reads, sniffs, checks the declared dimensions, decodes and orients.
func (o ImageOptions) decode(r io.Reader) (*decoded, error) {
	data, err := ReadAll(r, o.MaxBytes)
	if err != nil {
		return nil, err
	}
	k := Sniff(data)
	var cfgFn func(io.Reader) (image.Config, error)
	var decFn func(io.Reader) (image.Image, error)
	switch k {
	case KindJPEG:
		cfgFn, decFn = jpeg.DecodeConfig, jpeg.Decode
	case KindPNG:
		cfgFn, decFn = png.DecodeConfig, png.Decode
	case KindGIF:
		cfgFn = gif.DecodeConfig
	case KindWebP:
		cfgFn, decFn = webp.DecodeConfig, webp.Decode
	default:
		return nil, fmt.Errorf("%w: %s is not an image we take", ErrUnsupported, k)
	}
	var cfg image.Config
	if err := guard(func() (err error) { cfg, err = cfgFn(bytes.NewReader(data)); return }); err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, corrupt("%s: %dx%d", k, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > o.MaxPixels {
		return nil, fmt.Errorf("%w: %dx%d", ErrDimensions, cfg.Width, cfg.Height)
	}
	if k == KindWebP {
		if err := o.checkWebP(data); err != nil {
			return nil, err
		}
	}
	weight := decodeWeight(cfg)
	if weight > DecodeBudget {
		return nil, fmt.Errorf("%w: %dx%d needs %d MB to decode", ErrDimensions, cfg.Width, cfg.Height, weight>>20)
	}
	if err := decoding.Acquire(context.Background(), weight); err != nil {
		return nil, err
	}
	var once sync.Once
	d := &decoded{kind: k, release: func() { once.Do(func() { decoding.Release(weight) }) }}
	defer func() {
		if d.still == nil && d.gif == nil {
			d.release() // failed: nothing is held
		}
	}()
	if k == KindGIF {
		if err := o.scanGIF(data); err != nil {
			return nil, err
		}
		err = guard(func() (err error) { d.gif, err = gif.DecodeAll(bytes.NewReader(data)); return })
		return d, err
	}
	var m image.Image
	if err := guard(func() (err error) { m, err = decFn(bytes.NewReader(data)); return }); err != nil {
		return nil, err
	}
	if b := m.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, corrupt("%s: header says %dx%d, pixels are %v", k, cfg.Width, cfg.Height, b)
	}
	// Scale before turning: the rotation then moves at most MaxSide² pixels.
	m = fit(m, o.MaxSide)
	if or := orientationOf(k, data); or != 1 {
		m = orient(toRGBA(m), or)
	}
	d.still = m
	return d, nil
}

// guard runs a decoder, turning its error into ErrCorrupt and a panic, which no input
// should cause but a third-party decoder might, into ErrCorrupt as well.
func guard(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corrupt("decoder panic: %v", p)
		}
	}()
	if err := fn(); err != nil {
		return corrupt("%v", err)
	}
	return nil
}

func (o ImageOptions) cleanStill(d *decoded) (*Image, error) {
	m := d.still
	out := &Image{Frames: 1, Width: m.Bounds().Dx(), Height: m.Bounds().Dy()}
	var err error
	switch {
	case d.kind == KindJPEG, d.kind == KindWebP && opaque(m):
		out.MIME = KindJPEG
		out.Bytes, err = encodeJPEG(m, 85)
	default:
		out.MIME = KindPNG
		out.Bytes, err = encodePNG(m)
	}
	return out, err
}

// fit scales m down so that its longest side is at most side, keeping the aspect ratio.
func fit(m image.Image, side int) image.Image {
	b := m.Bounds()
	w, h := fitSize(b.Dx(), b.Dy(), side)
	if w == b.Dx() && h == b.Dy() {
		return m
	}
	return scale(m, w, h)
}

// fitSize is w×h scaled down, if need be, to a longest side of side.
func fitSize(w, h, side int) (int, int) {
	switch {
	case w <= side && h <= side:
		return w, h
	case w >= h:
		return side, max(1, int(int64(h)*int64(side)/int64(w)))
	}
	return max(1, int(int64(w)*int64(side)/int64(h))), side
}

// scale resamples m to w×h with Catmull-Rom. Sources without a fast path in x/image/draw
// (paletted, 16-bit, CMYK) are converted first: its generic path is many times slower.
// A large reduction first averages k×k blocks: Catmull-Rom's cost grows with the
// reduction, and a box average loses nothing a thumbnail would show.
func scale(m image.Image, w, h int) *image.RGBA {
	b := m.Bounds()
	if k := min(b.Dx()/w, b.Dy()/h); k >= 2 {
		if y, ok := m.(*image.YCbCr); ok {
			m = shrinkYCbCr(y, k)
		} else {
			m = shrinkRGBA(toRGBA(m), k)
		}
	}
	switch m.(type) {
	case *image.RGBA, *image.NRGBA, *image.YCbCr, *image.Gray:
	default:
		m = toRGBA(m)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, m, m.Bounds(), draw.Src, nil)
	return dst
}

// shrinkRGBA averages k×k blocks of m (premultiplied, so averaging is exact); a partial
// block at the right or bottom edge is dropped.
func shrinkRGBA(m *image.RGBA, k int) *image.RGBA {
	w, h := m.Rect.Dx()/k, m.Rect.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sums := make([]uint32, w*4)
	n := uint32(k * k)
	for y := 0; y < h; y++ {
		clear(sums)
		for sy := y * k; sy < y*k+k; sy++ {
			row := m.Pix[sy*m.Stride : sy*m.Stride+w*k*4]
			for x := 0; x < w*k; x++ {
				s := sums[x/k*4 : x/k*4+4]
				p := row[x*4 : x*4+4]
				s[0] += uint32(p[0])
				s[1] += uint32(p[1])
				s[2] += uint32(p[2])
				s[3] += uint32(p[3])
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w*4]
		for i, v := range sums {
			out[i] = uint8((v + n/2) / n)
		}
	}
	return dst
}

// shrinkYCbCr averages k×k blocks of a decoded JPEG without converting every pixel:
// the YCbCr to RGB conversion is affine, so the average can be converted once.
func shrinkYCbCr(m *image.YCbCr, k int) *image.RGBA {
	w, h := m.Rect.Dx()/k, m.Rect.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sums := make([]uint32, w*3)
	n := uint32(k * k)
	for y := 0; y < h; y++ {
		clear(sums)
		for sy := y * k; sy < y*k+k; sy++ {
			py := sy + m.Rect.Min.Y
			for x := 0; x < w*k; x++ {
				px := x + m.Rect.Min.X
				ci := m.COffset(px, py)
				s := sums[x/k*3 : x/k*3+3]
				s[0] += uint32(m.Y[m.YOffset(px, py)])
				s[1] += uint32(m.Cb[ci])
				s[2] += uint32(m.Cr[ci])
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w*4]
		for x := 0; x < w; x++ {
			r, g, b := color.YCbCrToRGB(uint8((sums[x*3]+n/2)/n), uint8((sums[x*3+1]+n/2)/n), uint8((sums[x*3+2]+n/2)/n))
			out[x*4], out[x*4+1], out[x*4+2], out[x*4+3] = r, g, b, 255
		}
	}
	return dst
}

// toRGBA returns m as an *image.RGBA whose bounds start at (0, 0).
func toRGBA(m image.Image) *image.RGBA {
	if r, ok := m.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := m.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if p, ok := m.(*image.Paletted); ok {
		// image/draw has no fast path from a paletted source.
		var pal [256][4]byte
		for i, c := range p.Palette {
			r, g, b, a := c.RGBA()
			pal[i] = [4]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8), byte(a >> 8)}
		}
		for y := 0; y < b.Dy(); y++ {
			src := p.Pix[y*p.Stride : y*p.Stride+b.Dx()]
			row := dst.Pix[y*dst.Stride:]
			for x, ci := range src {
				copy(row[x*4:x*4+4], pal[ci][:])
			}
		}
		return dst
	}
	stddraw.Draw(dst, dst.Rect, m, b.Min, stddraw.Src)
	return dst
}

func opaque(m image.Image) bool {
	if o, ok := m.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

func encodeJPEG(m image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("media: encoding jpeg: %w", err)
	}
	return buf.Bytes(), nil
}

func encodePNG(m image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return nil, fmt.Errorf("media: encoding png: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeStill writes m as JPEG, or PNG when it has transparency.
func encodeStill(m image.Image, q int) ([]byte, Kind, error) {
	if opaque(m) {
		b, err := encodeJPEG(m, q)
		return b, KindJPEG, err
	}
	b, err := encodePNG(m)
	return b, KindPNG, err
}

// thumbnail encodes m, already scaled to the thumbnail size.
func thumbnail(m image.Image) (Thumbnail, error) {
	b, k, err := encodeStill(m, 80)
	return Thumbnail{Bytes: b, MIME: k, Width: m.Bounds().Dx(), Height: m.Bounds().Dy()}, err
}

// hash computes the blurhash (4×3 components) of m, a thumbnail, on a copy at most 32
// pixels wide: the encoder visits every pixel once per component, and a blur needs no
// detail.
func hash(m image.Image) (string, error) {
	small := fit(m, 32)
	if _, ok := small.(*image.RGBA); !ok {
		small = toRGBA(small)
	}
	s, err := blurhash.Encode(4, 3, small)
	if err != nil {
		return "", fmt.Errorf("media: blurhash: %w", err)
	}
	return s, nil
}
