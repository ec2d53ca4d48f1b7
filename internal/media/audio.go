package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// CleanAudio copies an audio file to w without its tags: ID3v2 (front), ID3v1 and APEv2
// (back) of MP3 and AAC streams; every RIFF chunk of a WAV but fmt, fact and data (LIST
// INFO, bext, iXML, id3 go); and for MP4 audio and WebM what CleanMP4 and CleanWebM drop.
// It returns the kind written. Any caller may use it; r is read only.
//
// Errors: ErrEmpty, ErrUnsupported (not one of those, Ogg included: see Kind.Inline),
// ErrCorrupt. The input is checked before anything is written; an error while copying
// (w failing, or r shorter than size) can leave w partial: write to a temporary file
// and discard it on error.
func CleanAudio(r io.ReaderAt, size int64, w io.Writer) (Kind, error) {
	if size == 0 {
		return KindUnknown, ErrEmpty
	}
	head := make([]byte, min(size, SniffLen))
	if err := readAt(r, head, 0); err != nil {
		return KindUnknown, err
	}
	switch k := Sniff(head); k {
	case KindMP3, KindAAC:
		return k, cleanMPEGAudio(r, size, w, k)
	case KindWAV:
		return k, cleanWAV(r, size, w)
	case KindM4A, KindMP4:
		info, err := CleanMP4(r, size, w)
		if err == nil && info.HasVideo {
			k = KindMP4
		} else {
			k = KindM4A
		}
		return k, err
	case KindWebM:
		_, err := CleanWebM(r, size, w)
		return KindAudioWebM, err
	default:
		return KindUnknown, fmt.Errorf("%w: %s is not audio we clean", ErrUnsupported, k)
	}
}

func cleanMPEGAudio(r io.ReaderAt, size int64, w io.Writer, k Kind) error {
	start, end := int64(0), size
	var b [10]byte
	// Tags can be stacked; a handful is all any tool writes.
	for i := 0; i < 8 && end-start >= 10; i++ {
		if err := readAt(r, b[:], start); err != nil {
			return err
		}
		n, ok := id3Size(b[:])
		if !ok {
			break
		}
		start += int64(n)
	}
	if end-start >= 128 {
		var t [3]byte
		if err := readAt(r, t[:], end-128); err != nil {
			return err
		}
		if string(t[:]) == "TAG" {
			end -= 128
		}
	}
	if end-start >= 32 {
		var f [32]byte
		if err := readAt(r, f[:], end-32); err != nil {
			return err
		}
		if string(f[:8]) == "APETAGEX" {
			n := int64(binary.LittleEndian.Uint32(f[12:])) // items and footer
			if binary.LittleEndian.Uint32(f[20:])&0x80000000 != 0 {
				n += 32 // a header too
			}
			if n > end-start {
				return corrupt("audio: APE tag larger than the file")
			}
			end -= n
		}
	}
	if end-start < 4 {
		return corrupt("audio: no frames after the tags")
	}
	head := make([]byte, min(end-start, 4096))
	if err := readAt(r, head, start); err != nil {
		return err
	}
	if kk, _ := mpegFrame(head); kk != k {
		return corrupt("audio: no frame where the tags end")
	}
	return copyRange(w, r, start, end-start)
}

func cleanWAV(r io.ReaderAt, size int64, w io.Writer) error {
	var keep [][2]int64 // offset and length of kept chunks, header and padding included
	var total int64
	var sawFmt, sawData bool
	var h [8]byte
	for off, n := int64(12), 0; off+8 <= size; n++ {
		if n > 1024 {
			return corrupt("wav: too many chunks")
		}
		if err := readAt(r, h[:], off); err != nil {
			return err
		}
		l := int64(binary.LittleEndian.Uint32(h[4:]))
		l += l & 1
		if l > size-off-8 {
			return corrupt("wav: chunk %q runs past the end", h[:4])
		}
		switch string(h[:4]) {
		case "fmt ", "fact", "data":
			keep = append(keep, [2]int64{off, 8 + l})
			total += 8 + l
			sawFmt = sawFmt || string(h[:4]) == "fmt "
			sawData = sawData || string(h[:4]) == "data"
		}
		off += 8 + l
	}
	if !sawFmt || !sawData {
		return corrupt("wav: no fmt or data chunk")
	}
	if total+4 > 0xFFFFFFFF {
		return corrupt("wav: too long for RIFF")
	}
	var hdr bytes.Buffer
	hdr.WriteString("RIFF")
	_ = binary.Write(&hdr, binary.LittleEndian, uint32(total+4))
	hdr.WriteString("WAVE")
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	for _, c := range keep {
		if err := copyRange(w, r, c[0], c[1]); err != nil {
			return err
		}
	}
	return nil
}
