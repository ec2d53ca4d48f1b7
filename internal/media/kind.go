package media

// Kind is what the bytes of a file are, named by the precise MIME type the server sends
// with it. Only the constants below are ever returned.
type Kind string

// Family groups kinds by what a post may carry and which limit applies.
type Family int

// The families. Active is markup a browser could execute; it is always refused.
const (
	FamilyUnknown Family = iota
	FamilyImage
	FamilyVideo
	FamilyAudio
	FamilyFile
	FamilyActive
)

func (f Family) String() string {
	switch f {
	case FamilyImage:
		return "image"
	case FamilyVideo:
		return "video"
	case FamilyAudio:
		return "audio"
	case FamilyFile:
		return "file"
	case FamilyActive:
		return "active content"
	}
	return "unknown"
}

// The kinds Sniff and Detect can return.
const (
	KindUnknown Kind = "application/octet-stream"

	KindJPEG Kind = "image/jpeg"
	KindPNG  Kind = "image/png"
	KindGIF  Kind = "image/gif"
	KindWebP Kind = "image/webp"

	// KindMP4 covers every ISO-BMFF movie brand, QuickTime (.mov) included: browsers
	// play H.264/HEVC QuickTime files when they are sent as video/mp4, and not at all
	// when sent as video/quicktime.
	KindMP4  Kind = "video/mp4"
	KindWebM Kind = "video/webm"

	KindMP3       Kind = "audio/mpeg"
	KindAAC       Kind = "audio/aac"
	KindM4A       Kind = "audio/mp4"
	KindWAV       Kind = "audio/wav"
	KindOgg       Kind = "audio/ogg"
	KindAudioWebM Kind = "audio/webm"

	KindPDF  Kind = "application/pdf"
	KindZip  Kind = "application/zip"
	KindDOCX Kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	KindXLSX Kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	KindPPTX Kind = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	KindODT  Kind = "application/vnd.oasis.opendocument.text"
	KindODS  Kind = "application/vnd.oasis.opendocument.spreadsheet"
	KindODP  Kind = "application/vnd.oasis.opendocument.presentation"
	// KindOLE is a legacy Office compound file whose extension did not say which one.
	KindOLE  Kind = "application/x-ole-storage"
	KindDOC  Kind = "application/msword"
	KindXLS  Kind = "application/vnd.ms-excel"
	KindPPT  Kind = "application/vnd.ms-powerpoint"
	KindCSV  Kind = "text/csv"
	KindText Kind = "text/plain"

	KindHTML Kind = "text/html"
	KindSVG  Kind = "image/svg+xml"
	KindXML  Kind = "text/xml"
)

type kindInfo struct {
	family Family
	ext    string
	inline bool
}

var kinds = map[Kind]kindInfo{
	KindJPEG:      {FamilyImage, ".jpg", true},
	KindPNG:       {FamilyImage, ".png", true},
	KindGIF:       {FamilyImage, ".gif", true},
	KindWebP:      {FamilyImage, ".webp", true},
	KindMP4:       {FamilyVideo, ".mp4", true},
	KindWebM:      {FamilyVideo, ".webm", true},
	KindMP3:       {FamilyAudio, ".mp3", true},
	KindAAC:       {FamilyAudio, ".aac", true},
	KindM4A:       {FamilyAudio, ".m4a", true},
	KindWAV:       {FamilyAudio, ".wav", true},
	KindAudioWebM: {FamilyAudio, ".weba", true},
	// Ogg comments live inside CRC-checked pages that CleanAudio does not rewrite, so an
	// Ogg file keeps its tags and is only ever a download.
	KindOgg:  {FamilyAudio, ".ogg", false},
	KindPDF:  {FamilyFile, ".pdf", false},
	KindZip:  {FamilyFile, ".zip", false},
	KindDOCX: {FamilyFile, ".docx", false},
	KindXLSX: {FamilyFile, ".xlsx", false},
	KindPPTX: {FamilyFile, ".pptx", false},
	KindODT:  {FamilyFile, ".odt", false},
	KindODS:  {FamilyFile, ".ods", false},
	KindODP:  {FamilyFile, ".odp", false},
	KindOLE:  {FamilyFile, ".bin", false},
	KindDOC:  {FamilyFile, ".doc", false},
	KindXLS:  {FamilyFile, ".xls", false},
	KindPPT:  {FamilyFile, ".ppt", false},
	KindCSV:  {FamilyFile, ".csv", false},
	KindText: {FamilyFile, ".txt", false},
	KindHTML: {FamilyActive, ".html", false},
	KindSVG:  {FamilyActive, ".svg", false},
	KindXML:  {FamilyActive, ".xml", false},
}

// MIME is the type to send in Content-Type.
func (k Kind) MIME() string { return string(k) }

func (k Kind) String() string { return string(k) }

// Family is the kind's family; FamilyUnknown for KindUnknown and anything not listed.
func (k Kind) Family() Family { return kinds[k].family }

// Ext is the extension to store the file under, with its dot (".jpg"); ".bin" if unknown.
func (k Kind) Ext() string {
	if i, ok := kinds[k]; ok {
		return i.ext
	}
	return ".bin"
}

// Inline reports whether the server may ever serve a file of this kind inline rather
// than as an attachment. It is true only for raster images, video and audio, and it holds
// only for bytes produced by this package's cleaners (CleanImage, CleanMP4, CleanWebM,
// CleanAudio): the server must store the cleaned copy, never the upload.
func (k Kind) Inline() bool { return kinds[k].inline }
