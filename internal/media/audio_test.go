package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func apeTag(items string) []byte {
	footer := func(flags uint32) []byte {
		b := []byte("APETAGEX")
		b = binary.LittleEndian.AppendUint32(b, 2000)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(items)+32))
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, flags)
		return append(b, make([]byte, 8)...)
	}
	return bytes.Join([][]byte{footer(0xA0000000), []byte(items), footer(0x80000000)}, nil)
}

func TestCleanAudio(t *testing.T) {
	mp3 := readCorpus(t, "tags.mp3")
	frames := mp3Frames(3)
	wav := readCorpus(t, "info.wav")
	tests := []struct {
		name     string
		data     []byte
		wantKind Kind
		want     []byte // exact output, when known
		keep     []string
	}{
		{"mp3 with id3v2 and id3v1", mp3, KindMP3, frames, nil},
		{"mp3 with an ape tag", append(append([]byte{}, frames...), apeTag("Artist\x00"+secret)...), KindMP3, frames, nil},
		{"mp3 with stacked id3v2 tags", append(mp3[:len(mp3)-128-len(frames)], mp3...), KindMP3, frames, nil},
		{"aac", append(append([]byte{}, mp3[:len(mp3)-128-len(frames)]...), adtsFrames(3)...), KindAAC, adtsFrames(3), nil},
		{"wav", wav, KindWAV, nil, []string{"RIFF", "WAVE", "fmt ", "data"}},
		{"mp4 movie", readCorpus(t, "gps.mp4"), KindMP4, nil, []string{"AUDIOFRAME-0"}},
		{"webm sound", readCorpus(t, "tags.webm"), KindAudioWebM, nil, []string{"VIDEOBLOCK-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertPlanted(t, tt.name, tt.data, secret)
			var out bytes.Buffer
			k, err := CleanAudio(bytes.NewReader(tt.data), int64(len(tt.data)), &out)
			if err != nil {
				t.Fatal(err)
			}
			if k != tt.wantKind {
				t.Errorf("kind %s, want %s", k, tt.wantKind)
			}
			assertClean(t, tt.name, out.Bytes())
			if tt.want != nil && !bytes.Equal(out.Bytes(), tt.want) {
				t.Errorf("output is %d bytes, want exactly the %d bytes of frames", out.Len(), len(tt.want))
			}
			for _, s := range tt.keep {
				if !bytes.Contains(out.Bytes(), []byte(s)) {
					t.Errorf("output lost %q", s)
				}
			}
		})
	}
}

func TestCleanWAVStructure(t *testing.T) {
	var out bytes.Buffer
	if _, err := CleanAudio(bytes.NewReader(readCorpus(t, "info.wav")), int64(len(readCorpus(t, "info.wav"))), &out); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	if got := int(binary.LittleEndian.Uint32(b[4:])); got != len(b)-8 {
		t.Errorf("RIFF size %d, want %d", got, len(b)-8)
	}
	// fmt (8+16) then data (8+200), nothing between.
	if string(b[12:16]) != "fmt " || string(b[36:40]) != "data" || len(b) != 12+24+208 {
		t.Errorf("layout %q ... %q, %d bytes", b[12:16], b[36:40], len(b))
	}
}

func TestCleanAudioErrors(t *testing.T) {
	mp3 := readCorpus(t, "tags.mp3")
	id3 := mp3[:len(mp3)-128-len(mp3Frames(3))]
	wavNoData := riffChunk("RIFF", append([]byte("WAVE"), riffChunk("fmt ", make([]byte, 16))...))
	wavLong := riffChunk("RIFF", append([]byte("WAVEfmt "), 0xff, 0xff, 0, 0))
	hugeAPE := apeTag("")[32:]
	binary.LittleEndian.PutUint32(hugeAPE[12:], 1<<20)
	ogg := []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead")
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"ogg is left alone", ogg, ErrUnsupported},
		{"pdf", []byte("%PDF-1.4"), ErrUnsupported},
		{"id3 tag and nothing else", id3, ErrCorrupt},
		{"id3 tag then noise", append(append([]byte{}, id3...), bytes.Repeat([]byte{0xff}, 5000)...), ErrUnsupported},
		{"ape tag larger than the file", append(mp3Frames(2), hugeAPE...), ErrCorrupt},
		{"wav without data", wavNoData, ErrCorrupt},
		{"wav chunk past the end", wavLong, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CleanAudio(bytes.NewReader(tt.data), int64(len(tt.data)), failWriter{t})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
