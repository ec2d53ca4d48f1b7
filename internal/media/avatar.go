package media

import (
	"image"
	"io"

	"golang.org/x/image/draw"
)

// Header sizes: the 3:1 banner Mastodon clients expect.
const (
	HeaderWidth  = 1500
	HeaderHeight = 500
)

// Avatar is ImageOptions{}.Avatar(r, side).
func Avatar(r io.Reader, side int) (*Image, error) { return ImageOptions{}.Avatar(r, side) }

// Header is ImageOptions{}.Header(r).
func Header(r io.Reader) (*Image, error) { return ImageOptions{}.Header(r) }

// Avatar cleans an image like Clean, then crops its centre square and scales it to
// side×side (400 if side is zero; never enlarged). An animated GIF gives its first frame.
// The result is JPEG, or PNG with transparency, and has no thumbnail. Errors as Clean.
func (o ImageOptions) Avatar(r io.Reader, side int) (*Image, error) {
	if side <= 0 {
		side = 400
	}
	return o.crop(r, side, side)
}

// Header cleans an image like Avatar, cropping its centre to 3:1 and scaling it to at
// most HeaderWidth×HeaderHeight.
func (o ImageOptions) Header(r io.Reader) (*Image, error) {
	return o.crop(r, HeaderWidth, HeaderHeight)
}

func (o ImageOptions) crop(r io.Reader, w, h int) (*Image, error) {
	o = o.withDefaults()
	d, err := o.decode(r)
	if err != nil {
		return nil, err
	}
	defer d.release()
	src := d.still
	if d.gif != nil {
		src = firstFrame(d.gif, o.MaxSide)
	}
	switch src.(type) {
	case *image.RGBA, *image.NRGBA, *image.YCbCr, *image.Gray:
	default:
		src = toRGBA(src)
	}
	b := src.Bounds()
	cw, ch := b.Dx(), b.Dy()
	if cw*h > ch*w {
		cw = max(1, ch*w/h)
	} else {
		ch = max(1, cw*h/w)
	}
	cut := image.Rect(0, 0, cw, ch).Add(b.Min).Add(image.Pt((b.Dx()-cw)/2, (b.Dy()-ch)/2))
	ow, oh := w, h
	if cw < w {
		ow, oh = cw, ch
	}
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	draw.CatmullRom.Scale(dst, dst.Rect, src, cut, draw.Src, nil)
	out := &Image{Width: ow, Height: oh, Frames: 1}
	if out.Bytes, out.MIME, err = encodeStill(dst, 85); err != nil {
		return nil, err
	}
	if out.Blurhash, err = hash(dst); err != nil {
		return nil, err
	}
	return out, nil
}
