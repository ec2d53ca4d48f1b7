package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/buckket/go-blurhash"
	"golang.org/x/image/webp"
)

func decodeAny(t *testing.T, b []byte, k Kind) image.Image {
	t.Helper()
	var m image.Image
	var err error
	switch k {
	case KindJPEG:
		m, err = jpeg.Decode(bytes.NewReader(b))
	case KindPNG:
		m, err = png.Decode(bytes.NewReader(b))
	case KindGIF:
		m, err = gif.Decode(bytes.NewReader(b))
	default:
		t.Fatalf("output kind %s", k)
	}
	if err != nil {
		t.Fatalf("output does not decode as %s: %v", k, err)
	}
	return m
}

// near reports whether c is within a JPEG's error of want.
func near(c color.Color, want color.NRGBA) bool {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	d := func(a, b uint8) bool { return int(a)-int(b) < 48 && int(b)-int(a) < 48 }
	return d(n.R, want.R) && d(n.G, want.G) && d(n.B, want.B) && d(n.A, want.A)
}

func TestCleanImageRemovesMetadata(t *testing.T) {
	tests := []struct {
		file        string
		planted     []string
		wantMIME    Kind
		wantW       int
		wantH       int
		wantFrames  int
		thumbMIME   Kind
		colorAt     image.Point
		wantColor   color.NRGBA
		wantOpposed image.Point // a pixel of the other colour
	}{
		{"exif-gps.jpg", []string{secret, "Exif\x00\x00", "http://ns.adobe.com/xap", "Photoshop 3.0", "RucheCam"},
			KindJPEG, 32, 64, 1, KindJPEG, image.Pt(16, 8), red, image.Pt(16, 56)},
		{"text-chunks.png", []string{secret, "tEXt", "iTXt", "zTXt", "eXIf", coords},
			KindPNG, 40, 20, 1, KindPNG, image.Pt(35, 10), green, image.Pt(5, 10)},
		{"exif-xmp.webp", []string{secret, "EXIF", "XMP ", "xmpmeta", string(gpsLatitude)},
			KindJPEG, 24, 48, 1, KindJPEG, image.Pt(12, 40), red, image.Pt(12, 8)},
		{"comment-xmp.gif", []string{secret + "-GIF-COMMENT", "XMP DataXMP"},
			KindGIF, 30, 20, 2, KindJPEG, image.Pt(15, 10), red, image.Pt(-1, -1)},
		{"polyglot-comment.gif", []string{"<script"},
			KindGIF, 30, 20, 2, KindJPEG, image.Pt(15, 10), red, image.Pt(-1, -1)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := readCorpus(t, tt.file)
			assertPlanted(t, tt.file, in, tt.planted...)
			got, err := CleanImage(bytes.NewReader(in), 0)
			if err != nil {
				t.Fatalf("CleanImage: %v", err)
			}
			assertClean(t, "image", got.Bytes)
			assertClean(t, "thumbnail", got.Thumbnail.Bytes)
			if got.MIME != tt.wantMIME || got.Width != tt.wantW || got.Height != tt.wantH || got.Frames != tt.wantFrames {
				t.Errorf("got %s %dx%d %d frames, want %s %dx%d %d frames", got.MIME, got.Width, got.Height,
					got.Frames, tt.wantMIME, tt.wantW, tt.wantH, tt.wantFrames)
			}
			m := decodeAny(t, got.Bytes, got.MIME)
			if b := m.Bounds(); b.Dx() != got.Width || b.Dy() != got.Height {
				t.Errorf("decoded output is %v, Image says %dx%d", b, got.Width, got.Height)
			}
			if c := m.At(tt.colorAt.X, tt.colorAt.Y); !near(c, tt.wantColor) {
				t.Errorf("pixel %v = %v, want about %v (orientation not applied?)", tt.colorAt, c, tt.wantColor)
			}
			if tt.wantOpposed.X >= 0 && near(m.At(tt.wantOpposed.X, tt.wantOpposed.Y), tt.wantColor) {
				t.Errorf("pixel %v is %v too: the image is one colour", tt.wantOpposed, tt.wantColor)
			}
			if got.Thumbnail.MIME != tt.thumbMIME || got.Thumbnail.Width != tt.wantW || got.Thumbnail.Height != tt.wantH {
				t.Errorf("thumbnail %s %dx%d, want %s %dx%d", got.Thumbnail.MIME, got.Thumbnail.Width,
					got.Thumbnail.Height, tt.thumbMIME, tt.wantW, tt.wantH)
			}
			decodeAny(t, got.Thumbnail.Bytes, got.Thumbnail.MIME)
			if x, y, err := blurhash.Components(got.Blurhash); err != nil || x != 4 || y != 3 {
				t.Errorf("blurhash %q: %d×%d components, %v; want 4×3", got.Blurhash, x, y, err)
			}
			if got.Focus != (Focus{}) {
				t.Errorf("focus %v, want the centre", got.Focus)
			}
		})
	}
}

func TestCleanImageKeepsAnimation(t *testing.T) {
	got, err := CleanImage(bytes.NewReader(readCorpus(t, "comment-xmp.gif")), 0)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(got.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 2 || g.Delay[0] != 50 || g.Delay[1] != 50 {
		t.Fatalf("got %d frames, delays %v; want 2 frames of 50", len(g.Image), g.Delay)
	}
	if c := g.Image[1].At(5, 5); !near(c, blue) {
		t.Errorf("second frame pixel = %v, want blue", c)
	}
}

func TestCleanImageOrientation(t *testing.T) {
	// The source is 64×32, red left, blue right; where red ends up tells the turn.
	tests := []struct {
		orientation uint16
		w, h        int
		red, blue   image.Point
	}{
		{1, 64, 32, image.Pt(8, 16), image.Pt(56, 16)},
		{2, 64, 32, image.Pt(56, 16), image.Pt(8, 16)},
		{3, 64, 32, image.Pt(56, 16), image.Pt(8, 16)},
		{4, 64, 32, image.Pt(8, 16), image.Pt(56, 16)},
		{5, 32, 64, image.Pt(16, 8), image.Pt(16, 56)},
		{6, 32, 64, image.Pt(16, 8), image.Pt(16, 56)},
		{7, 32, 64, image.Pt(16, 56), image.Pt(16, 8)},
		{8, 32, 64, image.Pt(16, 56), image.Pt(16, 8)},
	}
	for _, tt := range tests {
		got, err := CleanImage(bytes.NewReader(buildJPEG(tt.orientation)), 0)
		if err != nil {
			t.Fatalf("orientation %d: %v", tt.orientation, err)
		}
		if got.Width != tt.w || got.Height != tt.h {
			t.Errorf("orientation %d: %dx%d, want %dx%d", tt.orientation, got.Width, got.Height, tt.w, tt.h)
			continue
		}
		m := decodeAny(t, got.Bytes, KindJPEG)
		if c := m.At(tt.red.X, tt.red.Y); !near(c, red) {
			t.Errorf("orientation %d: pixel %v = %v, want red", tt.orientation, tt.red, c)
		}
		if c := m.At(tt.blue.X, tt.blue.Y); !near(c, blue) {
			t.Errorf("orientation %d: pixel %v = %v, want blue", tt.orientation, tt.blue, c)
		}
	}
}

func TestCleanImageScales(t *testing.T) {
	var src bytes.Buffer
	if err := jpeg.Encode(&src, halves(2000, 1000, red, blue), nil); err != nil {
		t.Fatal(err)
	}
	got, err := CleanImage(bytes.NewReader(src.Bytes()), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 1000 || got.Height != 500 {
		t.Errorf("image %dx%d, want 1000x500", got.Width, got.Height)
	}
	if got.Thumbnail.Width != 640 || got.Thumbnail.Height != 320 {
		t.Errorf("thumbnail %dx%d, want 640x320", got.Thumbnail.Width, got.Thumbnail.Height)
	}
	th := decodeAny(t, got.Thumbnail.Bytes, got.Thumbnail.MIME)
	if b := th.Bounds(); b.Dx() != 640 || b.Dy() != 320 {
		t.Errorf("decoded thumbnail %v", b)
	}
}

func TestCleanImageTransparentWebPBecomesPNG(t *testing.T) {
	b := riffChunk("RIFF", append([]byte("WEBP"), riffChunk("VP8L", vp8l(halves(20, 10, ghost, blue)))...))
	if _, err := webp.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("test WebP does not decode: %v", err)
	}
	got, err := CleanImage(bytes.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.MIME != KindPNG || got.Thumbnail.MIME != KindPNG {
		t.Fatalf("got %s with a %s thumbnail, want PNG for both", got.MIME, got.Thumbnail.MIME)
	}
	if c := decodeAny(t, got.Bytes, KindPNG).At(2, 2); !near(c, ghost) {
		t.Errorf("pixel = %v, want translucent white", c)
	}
}

func TestCleanImageErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		opts ImageOptions
		want error
	}{
		{"truncated.jpg", readCorpus(t, "truncated.jpg"), ImageOptions{}, ErrCorrupt},
		{"truncated.png", readCorpus(t, "truncated.png"), ImageOptions{}, ErrCorrupt},
		{"truncated.gif", readCorpus(t, "truncated.gif"), ImageOptions{}, ErrCorrupt},
		{"truncated.webp", readCorpus(t, "truncated.webp"), ImageOptions{}, ErrCorrupt},
		{"wrong-magic.png", readCorpus(t, "wrong-magic.png"), ImageOptions{}, ErrUnsupported},
		{"empty.bin", readCorpus(t, "empty.bin"), ImageOptions{}, ErrEmpty},
		{"bomb.png", readCorpus(t, "bomb.png"), ImageOptions{}, ErrDimensions},
		{"bomb.gif", readCorpus(t, "bomb.gif"), ImageOptions{}, ErrDimensions},
		{"html.png", readCorpus(t, "html.png"), ImageOptions{}, ErrUnsupported},
		{"script.svg", readCorpus(t, "script.svg"), ImageOptions{}, ErrUnsupported},
		{"polyglot.gif", readCorpus(t, "polyglot.gif"), ImageOptions{}, ErrCorrupt},
		{"a video", readCorpus(t, "gps.mp4"), ImageOptions{}, ErrUnsupported},
		{"over MaxBytes", readCorpus(t, "exif-gps.jpg"), ImageOptions{MaxBytes: 1000}, ErrTooLarge},
		{"over MaxPixels", readCorpus(t, "exif-gps.jpg"), ImageOptions{MaxPixels: 64*32 - 1}, ErrDimensions},
		{"over MaxFrames", readCorpus(t, "comment-xmp.gif"), ImageOptions{MaxFrames: 1}, ErrDimensions},
		{"over MaxGIFPixels", readCorpus(t, "comment-xmp.gif"), ImageOptions{MaxGIFPixels: 30*20 + 1}, ErrDimensions},
		{"zero-width PNG", func() []byte { b := buildBombPNG(); copy(b[16:], []byte{0, 0, 0, 0}); return b }(), ImageOptions{}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.Clean(bytes.NewReader(tt.data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("got an image with the error")
			}
			if _, err := Avatar(bytes.NewReader(tt.data), 0); tt.opts == (ImageOptions{}) && !errors.Is(err, tt.want) {
				t.Errorf("Avatar: err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAvatarAndHeader(t *testing.T) {
	var src bytes.Buffer
	if err := jpeg.Encode(&src, halves(3000, 1200, red, blue), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fn     func() (*Image, error)
		w, h   int
		mime   Kind
		redAt  image.Point
		blueAt image.Point
	}{
		{"avatar", func() (*Image, error) { return Avatar(bytes.NewReader(src.Bytes()), 400) }, 400, 400, KindJPEG,
			image.Pt(100, 200), image.Pt(300, 200)},
		{"header", func() (*Image, error) { return Header(bytes.NewReader(src.Bytes())) }, 1500, 500, KindJPEG,
			image.Pt(300, 250), image.Pt(1200, 250)},
		{"small avatar is not enlarged", func() (*Image, error) {
			return Avatar(bytes.NewReader(readCorpus(t, "exif-gps.jpg")), 400)
		}, 32, 32, KindJPEG, image.Pt(16, 4), image.Pt(16, 28)},
		{"header from a transparent PNG", func() (*Image, error) {
			return Header(bytes.NewReader(readCorpus(t, "text-chunks.png")))
		}, 40, 13, KindPNG, image.Pt(-1, -1), image.Pt(-1, -1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fn()
			if err != nil {
				t.Fatal(err)
			}
			assertClean(t, tt.name, got.Bytes)
			if got.Width != tt.w || got.Height != tt.h || got.MIME != tt.mime {
				t.Fatalf("got %s %dx%d, want %s %dx%d", got.MIME, got.Width, got.Height, tt.mime, tt.w, tt.h)
			}
			m := decodeAny(t, got.Bytes, got.MIME)
			if b := m.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Errorf("decoded %v", b)
			}
			if tt.redAt.X >= 0 && (!near(m.At(tt.redAt.X, tt.redAt.Y), red) || !near(m.At(tt.blueAt.X, tt.blueAt.Y), blue)) {
				t.Errorf("not centred: %v at %v, %v at %v", m.At(tt.redAt.X, tt.redAt.Y), tt.redAt,
					m.At(tt.blueAt.X, tt.blueAt.Y), tt.blueAt)
			}
			if got.Blurhash == "" || got.Thumbnail.Bytes != nil {
				t.Errorf("blurhash %q, thumbnail of %d bytes; want a hash and no thumbnail", got.Blurhash, len(got.Thumbnail.Bytes))
			}
		})
	}
}

func TestCleanImageWebPBitstreamLargerThanCanvas(t *testing.T) {
	// A VP8X canvas of 48×24 around a VP8L bitstream claiming 16384×16384: the decoder
	// would allocate a gigabyte before noticing the mismatch.
	b := readCorpus(t, "exif-xmp.webp")
	i := bytes.Index(b, []byte("VP8L")) + 8
	b = append([]byte{}, b...)
	b[i+1], b[i+2], b[i+3], b[i+4] = 0xff, 0xff, 0xff, 0x0f
	if _, err := CleanImage(bytes.NewReader(b), 0); !errors.Is(err, ErrDimensions) {
		t.Errorf("err = %v, want %v", err, ErrDimensions)
	}
	anim := append([]byte{}, readCorpus(t, "exif-xmp.webp")...)
	anim[20] |= 0x02 // VP8X animation flag
	if _, err := CleanImage(bytes.NewReader(anim), 0); !errors.Is(err, ErrUnsupported) {
		t.Errorf("animated: err = %v, want %v", err, ErrUnsupported)
	}
}

func TestCleanImageScalesAnimation(t *testing.T) {
	got, err := CleanImage(bytes.NewReader(readCorpus(t, "comment-xmp.gif")), 15)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(got.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 2 || g.Config.Width != 15 || g.Config.Height != 10 || got.Width != 15 || got.Height != 10 {
		t.Errorf("got %d frames on %dx%d (Image says %dx%d), want 2 on 15x10", len(g.Image),
			g.Config.Width, g.Config.Height, got.Width, got.Height)
	}
	if b := g.Image[1].Bounds(); b != image.Rect(0, 0, 15, 10) {
		t.Errorf("second frame bounds %v", b)
	}
	if got.Thumbnail.Width != 15 || got.Thumbnail.Height != 10 {
		t.Errorf("thumbnail %dx%d, want 15x10", got.Thumbnail.Width, got.Thumbnail.Height)
	}
}
