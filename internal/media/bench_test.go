package media

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// BenchmarkCleanImage cleans a 3000×2000 (6 MP) camera-sized JPEG: decode, no scaling
// (under 4096), re-encode at quality 85, a 640-pixel thumbnail and the blurhash.
func BenchmarkCleanImage(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 3000, 2000), image.YCbCrSubsampleRatio420)
	for y := 0; y < 2000; y++ {
		for x := 0; x < 3000; x++ {
			m.Y[m.YOffset(x, y)] = uint8(x*7 ^ y*3)
		}
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = uint8(i*5), uint8(i*11)
	}
	var src bytes.Buffer
	if err := jpeg.Encode(&src, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(src.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CleanImage(bytes.NewReader(src.Bytes()), 0); err != nil {
			b.Fatal(err)
		}
	}
}
