package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
)

// scanGIF counts the frames of a GIF and adds up their areas by walking its blocks,
// without decompressing anything: gif.DecodeAll would allocate every frame first.
// Malformed structure is left for the decoder to report.
func (o ImageOptions) scanGIF(b []byte) error {
	if len(b) < 13 {
		return nil
	}
	i := 13
	if b[10]&0x80 != 0 {
		i += 3 << (b[10]&7 + 1)
	}
	skipBlocks := func(i int) int {
		for i < len(b) && b[i] != 0 {
			i += 1 + int(b[i])
		}
		return i + 1
	}
	var frames int
	var area int64
	for i < len(b) {
		switch b[i] {
		case 0x21:
			i = skipBlocks(i + 2)
		case 0x2c:
			if i+10 > len(b) {
				return nil
			}
			w, h := binary.LittleEndian.Uint16(b[i+5:]), binary.LittleEndian.Uint16(b[i+7:])
			frames++
			area += int64(w) * int64(h)
			if frames > o.MaxFrames || area > o.MaxGIFPixels {
				return fmt.Errorf("%w: GIF of more than %d frames or %d pixels", ErrDimensions, frames, area)
			}
			if b[i+9]&0x80 != 0 {
				i += 3 << (b[i+9]&7 + 1)
			}
			i = skipBlocks(i + 11)
		default:
			return nil
		}
	}
	return nil
}

// cleanGIF re-encodes every frame from its decoded pixels. The decoder keeps nothing
// but pixels, palettes, delays, disposal and the loop count, so comments and application
// extensions (XMP among them) cannot survive. Frames are scaled nearest-neighbour on
// their palette indices: interpolating would need new colours the palette lacks.
func (o ImageOptions) cleanGIF(d *decoded) (*Image, error) {
	g := d.gif
	sw, sh := g.Config.Width, g.Config.Height
	if len(g.Image) == 0 || sw <= 0 || sh <= 0 {
		return nil, corrupt("gif: no frames")
	}
	w, h := fitSize(sw, sh, o.MaxSide)
	out := &gif.GIF{
		Image:           make([]*image.Paletted, len(g.Image)),
		Delay:           g.Delay,
		Disposal:        g.Disposal,
		LoopCount:       g.LoopCount,
		BackgroundIndex: g.BackgroundIndex,
		Config:          image.Config{ColorModel: g.Config.ColorModel, Width: w, Height: h},
	}
	for i, f := range g.Image {
		out.Image[i] = scalePaletted(f, sw, sh, w, h)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, out); err != nil {
		return nil, corrupt("gif: re-encoding: %v", err)
	}
	return &Image{Bytes: buf.Bytes(), MIME: KindGIF, Width: w, Height: h, Frames: len(out.Image)}, nil
}

// scalePaletted maps frame f of a sw×sh canvas onto a w×h canvas.
func scalePaletted(f *image.Paletted, sw, sh, w, h int) *image.Paletted {
	if sw == w && sh == h {
		dst := image.NewPaletted(f.Rect, f.Palette)
		copy(dst.Pix, f.Pix)
		return dst
	}
	r := f.Rect
	nr := image.Rect(r.Min.X*w/sw, r.Min.Y*h/sh, (r.Max.X*w+sw-1)/sw, (r.Max.Y*h+sh-1)/sh)
	if nr = nr.Intersect(image.Rect(0, 0, w, h)); nr.Empty() {
		return image.NewPaletted(image.Rectangle{}, f.Palette)
	}
	dst := image.NewPaletted(nr, f.Palette)
	for y := nr.Min.Y; y < nr.Max.Y; y++ {
		sy := min(max(y*sh/h, r.Min.Y), r.Max.Y-1)
		for x := nr.Min.X; x < nr.Max.X; x++ {
			sx := min(max(x*sw/w, r.Min.X), r.Max.X-1)
			dst.Pix[dst.PixOffset(x, y)] = f.Pix[f.PixOffset(sx, sy)]
		}
	}
	return dst
}

// firstFrame composes a GIF's first frame on its canvas, scaled down to fit side: the
// canvas itself may be 50 megapixels, which is too much to hold as RGBA.
func firstFrame(g *gif.GIF, side int) *image.RGBA {
	sw, sh := g.Config.Width, g.Config.Height
	w, h := fitSize(sw, sh, side)
	canvas := image.NewRGBA(image.Rect(0, 0, w, h))
	if len(g.Image) > 0 {
		f := scalePaletted(g.Image[0], sw, sh, w, h)
		draw.Draw(canvas, f.Rect, f, f.Rect.Min, draw.Over)
	}
	return canvas
}
