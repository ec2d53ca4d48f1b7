package media

import (
	"bytes"
	"encoding/binary"
	"math"
)

// isoBox is an ISO-BMFF box.
func isoBox(typ string, payload ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(bytes.Join(payload, nil))))
	b = append(b, typ...)
	return append(b, bytes.Join(payload, nil)...)
}

func u32(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// plantedTime is the creation and modification time written in every header box; the
// cleaner must zero it.
const plantedTime = 0xDEC0DE42

var identity = u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
var rotate90 = u32(0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000)

type mp4Track struct {
	handler string
	samples []string
}

// trakBox builds a track whose samples sit at offsets, one chunk per sample.
func trakBox(id uint32, t mp4Track, offsets []uint32, matrix []byte, w, h uint32, extra ...[]byte) []byte {
	tkhd := u32(3, plantedTime, plantedTime, id, 0, 4500, 0, 0, 0, 0)
	tkhd = append(tkhd, matrix...)
	tkhd = append(tkhd, u32(w<<16, h<<16)...)
	sizes := u32(0, uint32(len(t.samples)))
	for _, s := range t.samples {
		sizes = append(sizes, u32(uint32(len(s)))...)
	}
	stbl := isoBox("stbl",
		isoBox("stsd", u32(0, 0)),
		isoBox("stts", u32(0, 0)),
		isoBox("stsc", u32(0, 1, 1, 1, 1)),
		isoBox("stsz", u32(0), sizes),
		isoBox("stco", u32(0, uint32(len(offsets))), u32(offsets...)),
	)
	hdlr := isoBox("hdlr", u32(0, 0), []byte(t.handler), u32(0, 0, 0), []byte("Handler\x00"))
	mdia := isoBox("mdia",
		isoBox("mdhd", u32(0, plantedTime, plantedTime, 1000, 4500, 0x55c40000)),
		hdlr,
		isoBox("minf", isoBox("dinf", isoBox("dref", u32(0, 0))), stbl),
	)
	return isoBox("trak", append([][]byte{isoBox("tkhd", tkhd), mdia}, extra...)...)
}

// buildMP4 is a movie with a video track (rotated 90°), a sound track and an Apple
// timed-metadata track whose samples hold coordinates, plus udta/©xyz, a moov-level
// Apple meta box with the location key, a track-level udta, a top-level meta and an XMP
// uuid box. With mdatFirst the media data comes before the movie box and mvhd is
// version 1.
func buildMP4(mdatFirst bool) []byte {
	tracks := []mp4Track{
		{"vide", []string{"VIDEOFRAME-0", "VIDEOFRAME-1"}},
		{"soun", []string{"AUDIOFRAME-0", "AUDIOFRAME-1"}},
		{"meta", []string{"GPS " + coords + " " + secret + "-TIMED-0", "GPS " + coords + " " + secret + "-TIMED-1"}},
	}
	var mdat []byte
	var rel [][]uint32 // sample offsets inside the mdat payload
	for _, t := range tracks {
		var offs []uint32
		for _, s := range t.samples {
			offs = append(offs, uint32(len(mdat)))
			mdat = append(mdat, s...)
			mdat = append(mdat, "-pad-"...)
		}
		rel = append(rel, offs)
	}
	ftyp := isoBox("ftyp", []byte("isom"), u32(0x200), []byte("isomiso2avc1mp41"))
	var mvhd []byte
	if mdatFirst {
		mvhd = isoBox("mvhd", u32(1<<24, 0, plantedTime, 0, plantedTime, 600, 0, 2700), make([]byte, 80))
	} else {
		mvhd = isoBox("mvhd", u32(0, plantedTime, plantedTime, 1000, 4500), make([]byte, 80))
	}
	xyz := append(u32(0x00120000 | 0x15c7)[:4], coords+"/"...) // length, language, value
	xyz[0], xyz[1] = 0, byte(len(coords)+1)
	udta := isoBox("udta",
		isoBox("\xa9xyz", xyz),
		isoBox("\xa9day", []byte(secret+"-DATE")),
	)
	keys := isoBox("keys", u32(0, 1), isoBox("mdta", []byte("com.apple.quicktime.location.ISO6709")))
	ilst := isoBox("ilst", isoBox("\x00\x00\x00\x01", isoBox("data", u32(1, 0), []byte(coords+"+035.000/"))))
	meta := isoBox("meta", u32(0),
		isoBox("hdlr", u32(0, 0), []byte("mdta"), u32(0, 0, 0), []byte{0}), keys, ilst)
	moov := func(base uint32) []byte {
		var traks [][]byte
		for i, t := range tracks {
			offs := make([]uint32, len(rel[i]))
			for j, o := range rel[i] {
				offs[j] = base + o
			}
			matrix, w, h := identity, uint32(0), uint32(0)
			var extra [][]byte
			if t.handler == "vide" {
				matrix, w, h = rotate90, 1920, 1080
				extra = append(extra, isoBox("udta", isoBox("\xa9nam", []byte(secret+"-TRACK-NAME"))))
			}
			traks = append(traks, trakBox(uint32(i+1), t, offs, matrix, w, h, extra...))
		}
		return isoBox("moov", append(append([][]byte{mvhd}, traks...), udta, meta)...)
	}
	xmp := isoBox("uuid", xmpUUID[:], []byte(xmpPacket))
	topMeta := isoBox("meta", u32(0), isoBox("free", []byte(secret+"-TOP-META")))
	if mdatFirst {
		base := uint32(len(ftyp) + 8)
		return bytes.Join([][]byte{ftyp, isoBox("mdat", mdat), moov(base), xmp, topMeta}, nil)
	}
	base := uint32(len(ftyp) + len(moov(0)) + len(xmp) + len(topMeta) + 8)
	return bytes.Join([][]byte{ftyp, moov(base), xmp, topMeta, isoBox("mdat", mdat)}, nil)
}

// ebml is a WebM element with an 8-byte size, or an unknown size when payload is nil
// and unknown is set.
func ebml(id uint32, payload ...[]byte) []byte {
	idb := binary.BigEndian.AppendUint32(nil, id)
	for len(idb) > 1 && idb[0] == 0 {
		idb = idb[1:]
	}
	p := bytes.Join(payload, nil)
	size := binary.BigEndian.AppendUint64(nil, uint64(len(p)))
	size[0] = 0x01
	return append(append(idb, size...), p...)
}

func ebmlUnknown(id uint32, payload ...[]byte) []byte {
	b := ebml(id, payload...)
	n := len(b) - len(bytes.Join(payload, nil))
	for i := n - 7; i < n; i++ {
		b[i] = 0xff
	}
	return b
}

func ebmlUint(id uint32, v uint64) []byte {
	return ebml(id, binary.BigEndian.AppendUint64(nil, v))
}

// buildWebM is a WebM with a title, a date, a named video track (320×240) and an
// audio track, a cluster of unknown size as browsers record them, a sized cluster,
// Tags holding coordinates and an attachment.
func buildWebM() []byte {
	header := ebml(ebmlHeaderID, ebmlUint(0x4286, 1), ebmlUint(0x42F7, 1), ebmlUint(0x42F2, 4),
		ebmlUint(0x42F3, 8), ebml(ebmlDocTypeID, []byte("webm")), ebmlUint(0x4287, 4), ebmlUint(0x4285, 2))
	info := ebml(mkvInfoID,
		ebmlUint(mkvTimescaleID, 1000000),
		ebml(mkvDurationID, binary.BigEndian.AppendUint64(nil, math.Float64bits(2500))),
		ebml(0x4D80, []byte("ruche-test")),
		ebml(0x5741, []byte("ruche-test")),
		ebml(mkvTitleID, []byte(secret+"-WEBM-TITLE")),
		ebml(mkvDateUTCID, u32(0xDEC0, 0xDE42)),
	)
	tracks := ebml(mkvTracksID,
		ebml(mkvTrackEntryID, ebmlUint(0xD7, 1), ebmlUint(mkvTrackTypeID, 1), ebml(0x86, []byte("V_VP8")),
			ebml(mkvTrackNameID, []byte(secret+"-TRACK-NAME")),
			ebml(mkvVideoID, ebmlUint(mkvPixelWidthID, 320), ebmlUint(mkvPixelHghtID, 240))),
		ebml(mkvTrackEntryID, ebmlUint(0xD7, 2), ebmlUint(mkvTrackTypeID, 2), ebml(0x86, []byte("A_OPUS"))),
	)
	live := ebmlUnknown(mkvClusterID, ebmlUint(0xE7, 0), ebml(0xA3, []byte("\x81\x00\x00\x80VIDEOBLOCK-0")))
	sized := ebml(mkvClusterID, ebmlUint(0xE7, 1000), ebml(0xA3, []byte("\x81\x00\x00\x80VIDEOBLOCK-1")))
	tags := ebml(mkvTagsID, ebml(0x7373, ebml(0x67C8,
		ebml(0x45A3, []byte("LOCATION")), ebml(0x4487, []byte(coords+" "+secret+"-WEBM-TAG")))))
	attach := ebml(mkvAttachID, ebml(0x61A7, ebml(0x466E, []byte(secret+".txt")),
		ebml(0x4660, []byte("text/plain")), ebml(0x465C, []byte(secret+"-ATTACHED"))))
	seg := ebmlUnknown(mkvSegmentID, info, tracks, live, sized, tags, attach)
	return append(header, seg...)
}

// buildMP3 is three silent MPEG-1 layer III frames between an ID3v2.3 tag and an ID3v1
// tag, both holding private text.
func buildMP3() []byte {
	txxx := append([]byte("\x00GPS\x00"), coords+" "+secret+"-ID3"...)
	frame := append([]byte("TXXX"), u32(uint32(len(txxx)))...)
	frame = append(frame, 0, 0)
	frame = append(frame, txxx...)
	n := len(frame)
	tag := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}
	out := append(tag, frame...)
	for i := 0; i < 3; i++ {
		f := make([]byte, 417)
		copy(f, []byte{0xff, 0xfb, 0x90, 0x44})
		out = append(out, f...)
	}
	v1 := make([]byte, 128)
	copy(v1, "TAG"+secret+"-ID3V1")
	return append(out, v1...)
}

// buildWAV is a PCM WAV with a LIST INFO chunk between fmt and data.
func buildWAV() []byte {
	fmtc := []byte{1, 0, 1, 0}
	fmtc = binary.LittleEndian.AppendUint32(fmtc, 8000)
	fmtc = binary.LittleEndian.AppendUint32(fmtc, 16000)
	fmtc = append(fmtc, 2, 0, 16, 0)
	info := append([]byte("INFO"), riffChunk("INAM", []byte(secret+"-WAV-INFO\x00"))...)
	body := []byte("WAVE")
	body = append(body, riffChunk("fmt ", fmtc)...)
	body = append(body, riffChunk("LIST", info)...)
	body = append(body, riffChunk("data", bytes.Repeat([]byte{1, 2}, 100))...)
	return riffChunk("RIFF", body)
}
